/*
 * backend/aliasdb.c: alias maps as the MTA sees them. The in-memory map
 * (one blob, an entry array in source order, a lazily built hash index),
 * reading Berkeley DB files the way a careful reader must (shared flock on
 * a separate descriptor, DB_RDONLY, no environment, release at once), and
 * writing them the way newaliases/postalias do, without ever letting a
 * reader see a partial file.
 */
#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"

/* ---- the map ---- */

void aliasmap_init(struct alias_map *m)
{
	memset(m, 0, sizeof(*m));
}

void aliasmap_free(struct alias_map *m)
{
	free(m->blob);
	free(m->ents);
	free(m->index);
	free(m->path);
	for (size_t i = 0; i < m->nproblems; i++)
		free(m->problems[i].msg);
	free(m->problems);
	aliasmap_init(m);
}

static uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void index_put(struct alias_map *m, size_t e)
{
	const struct alias_ent *ent = &m->ents[e];
	size_t mask = m->index_size - 1;
	size_t i = hash_bytes(m->blob + ent->koff, ent->klen) & mask;

	for (;; i = (i + 1) & mask) {
		uint32_t cur = m->index[i];
		if (cur == 0) {
			m->index[i] = (uint32_t)e + 1;
			return;
		}
		const struct alias_ent *o = &m->ents[cur - 1];
		if (o->klen == ent->klen && memcmp(m->blob + o->koff, m->blob + ent->koff, ent->klen) == 0) {
			/* A later record with the same key wins, as a db put does. */
			m->index[i] = (uint32_t)e + 1;
			return;
		}
	}
}

static void index_build(struct alias_map *m)
{
	size_t size = 16;

	while (size < m->n * 2 + 2)
		size *= 2;
	free(m->index);
	m->index = xcalloc(size, sizeof(uint32_t));
	m->index_size = size;
	for (size_t e = 0; e < m->n; e++)
		index_put(m, e);
}

static uint32_t blob_add(struct alias_map *m, const char *p, size_t n)
{
	if (m->bloblen + n + 1 > m->blobcap) {
		size_t cap = m->blobcap != 0 ? m->blobcap : 4096;
		while (cap < m->bloblen + n + 1)
			cap *= 2;
		m->blob = xrealloc(m->blob, cap);
		m->blobcap = cap;
	}
	uint32_t off = (uint32_t)m->bloblen;
	if (n != 0)
		memcpy(m->blob + off, p, n);
	m->blob[off + n] = '\0'; /* handy for callers; lengths stay authoritative */
	m->bloblen += n + 1;
	return off;
}

void aliasmap_add(struct alias_map *m, const char *k, size_t klen, const char *v, size_t vlen, uint32_t line)
{
	if (m->bloblen + klen + vlen + 2 > UINT32_MAX)
		util_fatal("alias map larger than 4 GB");
	if (m->n == m->cap) {
		m->cap = m->cap != 0 ? m->cap * 2 : 256;
		m->ents = xrealloc(m->ents, m->cap * sizeof(*m->ents));
	}
	struct alias_ent *e = &m->ents[m->n];
	e->koff = blob_add(m, k, klen);
	e->klen = (uint32_t)klen;
	e->voff = blob_add(m, v, vlen);
	e->vlen = (uint32_t)vlen;
	e->line = line;
	m->n++;
	if (m->index != NULL) {
		if (m->n * 2 + 2 > m->index_size)
			index_build(m);
		else
			index_put(m, m->n - 1);
	}
}

void aliasmap_put(struct alias_map *m, const char *k, size_t klen, const char *v, size_t vlen, uint32_t line)
{
	struct alias_ent *e = (struct alias_ent *)aliasmap_get(m, k, klen);

	if (e == NULL) {
		aliasmap_add(m, k, klen, v, vlen, line);
		return;
	}
	size_t i = (size_t)(e - m->ents);
	uint32_t voff = blob_add(m, v, vlen); /* may move the blob, not the entries */
	m->ents[i].voff = voff;
	m->ents[i].vlen = (uint32_t)vlen;
	m->ents[i].line = line;
}

const struct alias_ent *aliasmap_get(struct alias_map *m, const char *k, size_t klen)
{
	if (m->n == 0)
		return NULL;
	if (m->index == NULL)
		index_build(m);
	size_t mask = m->index_size - 1;
	for (size_t i = hash_bytes(k, klen) & mask;; i = (i + 1) & mask) {
		uint32_t cur = m->index[i];
		if (cur == 0)
			return NULL;
		const struct alias_ent *e = &m->ents[cur - 1];
		if (e->klen == klen && memcmp(m->blob + e->koff, k, klen) == 0)
			return e;
	}
}

const struct alias_ent *aliasmap_lookup(struct alias_map *m, const char *name, size_t len)
{
	char small[256];
	char *low = len < sizeof(small) ? small : xmalloc(len + 1);

	if (len == 0)
		return aliasmap_get(m, name, 0);
	for (size_t i = 0; i < len; i++)
		low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	const struct alias_ent *e = aliasmap_get(m, low, len);
	if (low != small)
		free(low);
	return e;
}

bool aliasmap_is_meta(const char *k, size_t klen)
{
	return (klen == 1 && k[0] == '@') || (klen >= 3 && memcmp(k, "YP_", 3) == 0);
}

/* ---- reading a db under a shared lock ---- */

struct dberr {
	char msg[256];
};

static void db_errcall(const DB_ENV *env, const char *prefix, const char *msg)
{
	(void)env;
	(void)prefix;
	/* Kept for the error text; libdb would print it otherwise. */
	(void)msg;
}

/* Names the group that may read path, for a permission error. */
static int perm_error(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) == 0) {
		struct group *g = getgrgid(st.st_gid);
		struct passwd *pw = getpwuid(st.st_uid);
		char gname[64], uname[64];

		snprintf(gname, sizeof(gname), "%s", g != NULL ? g->gr_name : "?");
		snprintf(uname, sizeof(uname), "%s", pw != NULL ? pw->pw_name : "?");
		if (st.st_mode & S_IRGRP)
			return errf(err, errlen, EXIT_NOPERM,
				    "%s: permission denied (mode %04o, owner %s, group %s): run as root or as a member "
				    "of group %s",
				    path, (unsigned)(st.st_mode & 07777), uname, gname, gname);
		return errf(err, errlen, EXIT_NOPERM, "%s: permission denied (mode %04o, owner %s): run as %s or root",
			    path, (unsigned)(st.st_mode & 07777), uname, uname);
	}
	return errf(err, errlen, EXIT_NOPERM, "%s: permission denied", path);
}

/*
 * Opens path read-only and takes a shared flock on that descriptor, retrying
 * for wait_ms. Returns the fd, or -1 with *code and err set.
 */
static int lock_shared(const char *path, int wait_ms, int *code, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == EACCES)
			*code = perm_error(path, err, errlen);
		else if (errno == ENOENT)
			*code = errf(err, errlen, EXIT_NOINPUT, "%s: no such file", path);
		else
			*code = errf(err, errlen, EXIT_NOINPUT, "%s: %s", path, strerror(errno));
		return -1;
	}
	int64_t deadline = util_now_ms() + wait_ms;
	for (;;) {
		if (flock(fd, LOCK_SH | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			*code = errf(err, errlen, EXIT_SOFTWARE, "%s: flock: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (util_now_ms() >= deadline)
			break;
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	close(fd);
	*code = errf(err, errlen, EXIT_TEMPFAIL,
		     "%s: alias database is being rebuilt (locked for more than %d ms); try again", path, wait_ms);
	return -1;
}

static void fill_identity(struct alias_map *m, const struct stat *st)
{
	m->dev = (uint64_t)st->st_dev;
	m->ino = (uint64_t)st->st_ino;
	m->size = (uint64_t)st->st_size;
	m->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

bool aliasdb_changed(const struct alias_map *m)
{
	struct stat st;

	if (m->path == NULL)
		return false;
	if (stat(m->path, &st) != 0)
		return true;
	return (uint64_t)st.st_dev != m->dev || (uint64_t)st.st_ino != m->ino || (uint64_t)st.st_size != m->size ||
	       (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec != m->mtime_ns;
}

static int db_open_error(const char *path, int rc, char *err, size_t errlen)
{
	switch (rc) {
	case ENOENT:
		return errf(err, errlen, EXIT_NOINPUT, "%s: no such file", path);
	case EACCES:
		return perm_error(path, err, errlen);
	case EINVAL:
	case DB_OLD_VERSION:
		return errf(err, errlen, EXIT_DATAERR, "%s: not a Berkeley DB hash or btree file (or corrupt)", path);
	default:
		return errf(err, errlen, EXIT_DATAERR, "%s: cannot read: %s", path, db_strerror(rc));
	}
}

/* Strips exactly one trailing NUL, noting whether keys carry one. */
static size_t strip_nul(const DBT *d)
{
	return d->size > 0 && ((const char *)d->data)[d->size - 1] == '\0' ? d->size - 1 : d->size;
}

/* One open read: the lock, the db, a cursor and the bulk buffer. */
struct aliasdb_reader {
	char *path;
	int fd; /* holds the shared flock */
	DB *db;
	DBC *cur;
	DBT bulk;       /* DB_MULTIPLE_KEY buffer */
	void *pos;      /* DB_MULTIPLE_KEY_NEXT position in bulk, NULL = fetch more */
	bool eof;
	size_t with_nul, without_nul;
	struct alias_map *info;
};

/* Records arrive in bulk (DB_MULTIPLE_KEY): one libdb call per buffer
 * instead of per record, which is where a plain DB_NEXT scan spends its time. */
enum { BULK_SIZE = 4 * 1024 * 1024 };

void aliasdb_reader_close(struct aliasdb_reader *r)
{
	if (r == NULL)
		return;
	if (r->cur != NULL)
		r->cur->close(r->cur);
	if (r->db != NULL)
		r->db->close(r->db, 0);
	if (r->fd >= 0)
		close(r->fd); /* releases the lock */
	free(r->bulk.data);
	free(r->path);
	free(r);
}

static int reader_open_once(const char *path, int lock_wait_ms, struct alias_map *info,
			    struct aliasdb_reader **out, char *err, size_t errlen);

/* A rebuild renames the new file over the old one: the file locked and the
 * file opened can differ for a moment. Open again then, within the wait. */
int aliasdb_reader_open(const char *path, int lock_wait_ms, struct alias_map *info, struct aliasdb_reader **out,
			char *err, size_t errlen)
{
	int64_t deadline = util_now_ms() + lock_wait_ms;

	for (;;) {
		int64_t left = deadline - util_now_ms();
		int code = reader_open_once(path, left > 0 ? (int)left : 0, info, out, err, errlen);
		if (code != EXIT_TEMPFAIL || strstr(err, "replaced while opening") == NULL || util_now_ms() >= deadline)
			return code;
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static int reader_open_once(const char *path, int lock_wait_ms, struct alias_map *info,
			    struct aliasdb_reader **out, char *err, size_t errlen)
{
	struct aliasdb_reader *r = xcalloc(1, sizeof(*r));
	struct stat st_fd, st_path;
	DBTYPE type;
	int code = 0, rc;

	*out = NULL;
	r->path = xstrdup(path);
	r->info = info;
	r->fd = lock_shared(path, lock_wait_ms, &code, err, errlen);
	if (r->fd < 0)
		goto fail;
	if (fstat(r->fd, &st_fd) != 0) {
		code = errf(err, errlen, EXIT_NOINPUT, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st_fd.st_mode)) {
		code = errf(err, errlen, EXIT_DATAERR, "%s: not a regular file", path);
		goto fail;
	}
	if ((rc = db_create(&r->db, NULL, 0)) != 0) {
		r->db = NULL;
		code = errf(err, errlen, EXIT_SOFTWARE, "db_create: %s", db_strerror(rc));
		goto fail;
	}
	r->db->set_errcall(r->db, db_errcall);
	rc = r->db->open(r->db, NULL, path, NULL, DB_UNKNOWN, DB_RDONLY, 0);
	if (rc != 0) {
		code = db_open_error(path, rc, err, errlen);
		goto fail;
	}
	/* The file locked must be the file opened: a rename between the two
	 * would leave us reading a file nobody locks. */
	if (stat(path, &st_path) != 0 || st_path.st_ino != st_fd.st_ino || st_path.st_dev != st_fd.st_dev) {
		code = errf(err, errlen, EXIT_TEMPFAIL, "%s: replaced while opening; try again", path);
		goto fail;
	}
	r->db->get_type(r->db, &type);
	if (type != DB_HASH && type != DB_BTREE) {
		code = errf(err, errlen, EXIT_DATAERR, "%s: a Berkeley DB %s file, not hash or btree", path,
			    type == DB_RECNO ? "recno" : type == DB_QUEUE ? "queue" : "unknown-type");
		goto fail;
	}
	if (info != NULL) {
		free(info->path);
		info->path = xstrdup(path);
		snprintf(info->type, sizeof(info->type), "%s", type == DB_HASH ? "hash" : "btree");
		fill_identity(info, &st_fd);
		info->has_at = false;
	}
	if ((rc = r->db->cursor(r->db, NULL, &r->cur, 0)) != 0) {
		r->cur = NULL;
		code = errf(err, errlen, EXIT_DATAERR, "%s: %s", path, db_strerror(rc));
		goto fail;
	}
	r->bulk.ulen = BULK_SIZE;
	r->bulk.data = xmalloc(r->bulk.ulen);
	r->bulk.flags = DB_DBT_USERMEM;
	*out = r;
	return 0;
fail:
	aliasdb_reader_close(r);
	return code;
}

int aliasdb_reader_step(struct aliasdb_reader *r, size_t max,
			int (*cb)(void *arg, const char *k, size_t klen, const char *v, size_t vlen), void *arg,
			bool *done, char *err, size_t errlen)
{
	size_t n = 0;

	*done = false;
	while (n < max) {
		if (r->pos == NULL) {
			DBT k;
			int rc;

			if (r->eof)
				break;
			memset(&k, 0, sizeof(k));
			rc = r->cur->get(r->cur, &k, &r->bulk, DB_NEXT | DB_MULTIPLE_KEY);
			if (rc == DB_BUFFER_SMALL) {
				/* One record larger than the buffer: make room for it. */
				r->bulk.ulen = r->bulk.size > r->bulk.ulen ? r->bulk.size * 2 : r->bulk.ulen * 2;
				r->bulk.data = xrealloc(r->bulk.data, r->bulk.ulen);
				continue;
			}
			if (rc == DB_NOTFOUND) {
				r->eof = true;
				break;
			}
			if (rc != 0)
				return errf(err, errlen, EXIT_DATAERR, "%s: corrupt database: %s", r->path, db_strerror(rc));
			DB_MULTIPLE_INIT(r->pos, &r->bulk);
		}
		void *kp, *vp;
		u_int32_t kl32, vl32;
		DB_MULTIPLE_KEY_NEXT(r->pos, &r->bulk, kp, kl32, vp, vl32);
		if (r->pos == NULL)
			continue; /* this buffer is done */
		DBT kd = { .data = kp, .size = kl32 }, vd = { .data = vp, .size = vl32 };
		size_t kl = strip_nul(&kd), vl = strip_nul(&vd);

		if (kl != kl32)
			r->with_nul++;
		else
			r->without_nul++;
		if (r->info != NULL && kl == 1 && ((const char *)kp)[0] == '@')
			r->info->has_at = true;
		n++;
		if (cb(arg, kp, kl, vp, vl) != 0) {
			r->eof = true;
			r->pos = NULL;
			break;
		}
	}
	if (r->eof && r->pos == NULL) {
		*done = true;
		if (r->info != NULL) {
			r->info->nul_terminated = r->with_nul > 0;
			r->info->mixed_nul = r->with_nul > 0 && r->without_nul > 0;
		}
	}
	return 0;
}

int aliasdb_scan(const char *path, int lock_wait_ms,
		 int (*cb)(void *arg, const char *k, size_t klen, const char *v, size_t vlen), void *arg,
		 struct alias_map *info, char *err, size_t errlen)
{
	struct aliasdb_reader *r;
	bool done = false;
	int code = aliasdb_reader_open(path, lock_wait_ms, info, &r, err, errlen);

	while (code == 0 && !done)
		code = aliasdb_reader_step(r, (size_t)-1, cb, arg, &done, err, errlen);
	aliasdb_reader_close(r);
	return code;
}

static int snapshot_cb(void *arg, const char *k, size_t klen, const char *v, size_t vlen)
{
	aliasmap_add(arg, k, klen, v, vlen, 0);
	return 0;
}

int aliasdb_snapshot(const char *path, int lock_wait_ms, struct alias_map *m, char *err, size_t errlen)
{
	struct alias_map fresh;

	aliasmap_init(&fresh);
	int code = aliasdb_scan(path, lock_wait_ms, snapshot_cb, &fresh, &fresh, err, errlen);
	if (code != 0) {
		aliasmap_free(&fresh);
		return code;
	}
	aliasmap_free(m);
	*m = fresh;
	return 0;
}

/* ---- writing ---- */

/* This host's name as Postfix's myhostname defaults it: gethostname(),
 * with ".localdomain" (mydomain's last resort) when it has no dot. */
static void fqdn(char *out, size_t outlen)
{
	char host[200];

	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(out, outlen, "%s%s", host, strchr(host, '.') != NULL ? "" : ".localdomain");
}

static int db_put(DB *db, const char *k, size_t kl, const char *v, size_t vl, bool nul)
{
	DBT dk, dv;
	char kb[1024];
	char *kp = kl + 1 <= sizeof(kb) ? kb : xmalloc(kl + 1);
	char *vp = xmalloc(vl + 1);

	memcpy(kp, k, kl);
	kp[kl] = '\0';
	memcpy(vp, v, vl);
	vp[vl] = '\0';
	memset(&dk, 0, sizeof(dk));
	memset(&dv, 0, sizeof(dv));
	dk.data = kp;
	dk.size = (u_int32_t)(kl + (nul ? 1 : 0));
	dv.data = vp;
	dv.size = (u_int32_t)(vl + (nul ? 1 : 0));
	int rc = db->put(db, NULL, &dk, &dv, 0);
	if (kp != kb)
		free(kp);
	free(vp);
	return rc;
}

int aliasdb_build(const struct alias_map *m, const char *db_path, bool postfix, char *err, size_t errlen)
{
	char *tmp = NULL;
	DB *db = NULL;
	int rc, code = 0, oldfd = -1, tfd;
	struct stat old;
	bool have_old = false;

	tmp = xasprintf("%s.mailops.XXXXXX", db_path);
	tfd = mkstemp(tmp);
	if (tfd < 0) {
		code = errno == EACCES ? perm_error(db_path, err, errlen)
				       : errf(err, errlen, EXIT_NOINPUT, "%s: cannot create: %s", tmp, strerror(errno));
		free(tmp);
		return code;
	}
	close(tfd);
	/* libdb creates its own file: give it an empty name to fill. */
	unlink(tmp);
	if ((rc = db_create(&db, NULL, 0)) != 0) {
		code = errf(err, errlen, EXIT_SOFTWARE, "db_create: %s", db_strerror(rc));
		goto fail;
	}
	db->set_errcall(db, db_errcall);
	rc = db->open(db, NULL, tmp, NULL, DB_HASH, DB_CREATE | DB_EXCL, 0640);
	if (rc != 0) {
		code = errf(err, errlen, EXIT_SOFTWARE, "%s: %s", tmp, db_strerror(rc));
		goto fail;
	}
	if (postfix) {
		char stamp[32];
		char host[256] = "";

		fqdn(host, sizeof(host));
		snprintf(stamp, sizeof(stamp), "%lld", (long long)time(NULL));
		/* postalias: "@" first, then YP_* without NUL, then the aliases. */
		if (db_put(db, "@", 1, "@", 1, true) != 0 ||
		    db_put(db, "YP_LAST_MODIFIED", 16, stamp, strlen(stamp), false) != 0 ||
		    db_put(db, "YP_MASTER_NAME", 14, host, strlen(host), false) != 0) {
			code = errf(err, errlen, EXIT_SOFTWARE, "%s: write failed", tmp);
			goto fail;
		}
	}
	for (size_t i = 0; i < m->n; i++) {
		const struct alias_ent *e = &m->ents[i];
		if (aliasmap_is_meta(m->blob + e->koff, e->klen))
			continue;
		if ((rc = db_put(db, m->blob + e->koff, e->klen, m->blob + e->voff, e->vlen, true)) != 0) {
			code = errf(err, errlen, EXIT_SOFTWARE, "%s: %s", tmp, db_strerror(rc));
			goto fail;
		}
	}
	/* newaliases writes "@" last: its presence says the build completed. */
	if (!postfix && db_put(db, "@", 1, "@", 1, true) != 0) {
		code = errf(err, errlen, EXIT_SOFTWARE, "%s: write failed", tmp);
		goto fail;
	}
	rc = db->close(db, 0);
	db = NULL;
	if (rc != 0) {
		code = errf(err, errlen, EXIT_SOFTWARE, "%s: %s", tmp, db_strerror(rc));
		goto fail;
	}
	/* Keep the old file's owner and mode; hold its exclusive lock (as
	 * newaliases does) while the new one takes its name. */
	oldfd = open(db_path, O_RDONLY | O_CLOEXEC);
	if (oldfd >= 0 && fstat(oldfd, &old) == 0) {
		have_old = true;
		if (flock(oldfd, LOCK_EX) != 0) {
			code = errf(err, errlen, EXIT_TEMPFAIL, "%s: cannot lock: %s", db_path, strerror(errno));
			goto fail;
		}
		if (chown(tmp, old.st_uid, old.st_gid) != 0 && geteuid() == 0) {
			code = errf(err, errlen, EXIT_SOFTWARE, "%s: chown: %s", tmp, strerror(errno));
			goto fail;
		}
		chmod(tmp, old.st_mode & 07777);
	}
	if (rename(tmp, db_path) != 0) {
		code = errno == EACCES ? perm_error(db_path, err, errlen)
				       : errf(err, errlen, EXIT_SOFTWARE, "rename %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (oldfd >= 0)
		close(oldfd);
	(void)have_old;
	free(tmp);
	return 0;
fail:
	if (db != NULL)
		db->close(db, 0);
	if (oldfd >= 0)
		close(oldfd);
	unlink(tmp);
	free(tmp);
	return code;
}

/* ---- one look-up ---- */

int aliasdb_get(const char *path, int lock_wait_ms, const char *name, size_t len, char **val, size_t *vlen,
		int *code, char *err, size_t errlen)
{
	DB *db = NULL;
	DBT k, v;
	int rc, fd, found = -1;
	char *key = xmalloc(len + 1);

	for (size_t i = 0; i < len; i++)
		key[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	key[len] = '\0';
	*code = 0;
	fd = lock_shared(path, lock_wait_ms, code, err, errlen);
	if (fd < 0) {
		free(key);
		return -1;
	}
	if ((rc = db_create(&db, NULL, 0)) != 0) {
		*code = errf(err, errlen, EXIT_SOFTWARE, "db_create: %s", db_strerror(rc));
		goto out;
	}
	db->set_errcall(db, db_errcall);
	if ((rc = db->open(db, NULL, path, NULL, DB_UNKNOWN, DB_RDONLY, 0)) != 0) {
		*code = db_open_error(path, rc, err, errlen);
		goto out;
	}
	/* sendmail's implicit class stores the NUL; hash:/btree: classes do not. */
	for (int withnul = 1; withnul >= 0; withnul--) {
		memset(&k, 0, sizeof(k));
		memset(&v, 0, sizeof(v));
		k.data = key;
		k.size = (u_int32_t)(len + (size_t)withnul);
		rc = db->get(db, NULL, &k, &v, 0);
		if (rc == 0) {
			size_t n = strip_nul(&v);
			*val = xstrndup(v.data, n);
			*vlen = n;
			found = 1;
			goto out;
		}
		if (rc != DB_NOTFOUND) {
			*code = errf(err, errlen, EXIT_DATAERR, "%s: corrupt database: %s", path, db_strerror(rc));
			goto out;
		}
	}
	found = 0;
out:
	if (db != NULL)
		db->close(db, 0);
	close(fd);
	free(key);
	return found;
}

/* ---- where the MTA keeps it ---- */

/* "hash:-N /etc/mail/aliases" -> "/etc/mail/aliases" (a class and flags dropped). */
static char *map_path(const char *spec, size_t n)
{
	const char *colon = memchr(spec, ':', n);
	const char *p = spec;

	if (colon != NULL && spec[0] != '/') {
		size_t cl = (size_t)(colon - spec);
		if (!((cl == 4 && strncmp(spec, "hash", 4) == 0) || (cl == 5 && strncmp(spec, "btree", 5) == 0)))
			return NULL; /* nis:, ldap:, ... are not files */
		p = colon + 1;
	}
	const char *end = spec + n;
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p == '-') { /* map flags such as -N */
			while (p < end && *p != ' ' && *p != '\t')
				p++;
			continue;
		}
		break;
	}
	size_t len = 0;
	while (p + len < end && p[len] != ' ' && p[len] != '\t' && p[len] != ',')
		len++;
	return len > 0 && p[0] == '/' ? xstrndup(p, len) : NULL;
}

char *aliasdb_discover(const char *sendmail_cf, const char *postfix_main_cf)
{
	char line[4096];
	char *found = NULL;
	FILE *f;

	if (sendmail_cf != NULL && (f = fopen(sendmail_cf, "r")) != NULL) {
		while (found == NULL && fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "O AliasFile=", 12) != 0)
				continue;
			line[strcspn(line, "\r\n")] = '\0';
			for (char *p = line + 12; found == NULL && *p != '\0';) {
				size_t n = strcspn(p, ",");
				found = map_path(p, n);
				p += n + (p[n] == ',');
			}
		}
		fclose(f);
	}
	if (found == NULL && postfix_main_cf != NULL && (f = fopen(postfix_main_cf, "r")) != NULL) {
		while (found == NULL && fgets(line, sizeof(line), f) != NULL) {
			char *p = line;
			if (strncmp(p, "alias_maps", 10) != 0)
				continue;
			p += 10;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != '=')
				continue;
			p++;
			line[strcspn(line, "\r\n")] = '\0';
			while (found == NULL && *p != '\0') {
				while (*p == ' ' || *p == '\t' || *p == ',')
					p++;
				size_t n = strcspn(p, ", \t");
				if (n > 0 && (strncmp(p, "hash:", 5) == 0 || strncmp(p, "btree:", 6) == 0))
					found = map_path(p, n);
				p += n;
			}
		}
		fclose(f);
	}
	if (found == NULL)
		found = xstrdup("/etc/aliases");
	char *db = xasprintf("%s.db", found);
	free(found);
	return db;
}
