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
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
	for (size_t i = 0; i < m->nproblems; i++) {
		free(m->problems[i].msg);
		free(m->problems[i].key);
	}
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
	e->nul = false;
	m->n++;
	if (m->index != NULL) {
		if (m->n * 2 + 2 > m->index_size)
			index_build(m);
		else
			index_put(m, m->n - 1);
	}
}

void aliasmap_add_db(struct alias_map *m, const char *k, size_t klen, const char *v, size_t vlen, bool nul)
{
	aliasmap_add(m, k, klen, v, vlen, 0);
	m->ents[m->n - 1].nul = nul;
}

void aliasmap_db_done(struct alias_map *m)
{
	bool with = false, without = false;

	for (size_t i = 0; i < m->n && !(with && without); i++) {
		if (m->ents[i].nul)
			with = true;
		else
			without = true;
	}
	if (!(with && without))
		return;
	/* "a" and "a\0" both stored: look-ups find the one with the NUL, as
	 * sendmail (which tries that first) does, whatever the cursor order. */
	if (m->index == NULL)
		index_build(m);
	size_t mask = m->index_size - 1;
	for (size_t e = 0; e < m->n; e++) {
		const struct alias_ent *ent = &m->ents[e];
		if (!ent->nul)
			continue;
		for (size_t i = hash_bytes(m->blob + ent->koff, ent->klen) & mask;; i = (i + 1) & mask) {
			const struct alias_ent *o = &m->ents[m->index[i] - 1];
			if (o->klen == ent->klen && memcmp(m->blob + o->koff, m->blob + ent->koff, ent->klen) == 0) {
				if (!o->nul)
					m->index[i] = (uint32_t)e + 1;
				break;
			}
		}
	}
}

void aliasmap_put(struct alias_map *m, const char *k, size_t klen, const char *v, size_t vlen, uint32_t line)
{
	struct alias_ent *e = (struct alias_ent *)aliasmap_get(m, k, klen);

	if (e == NULL) {
		aliasmap_add(m, k, klen, v, vlen, line);
		return;
	}
	if (m->bloblen + vlen + 1 > UINT32_MAX)
		util_fatal("alias map larger than 4 GB");
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

bool aliasmap_is_postfix(struct alias_map *m)
{
	return aliasmap_get(m, "YP_LAST_MODIFIED", 16) != NULL || (!m->nul_terminated && m->n > 0);
}

/* ---- reading a db under a shared lock ---- */

static void db_errcall(const DB_ENV *env, const char *prefix, const char *msg)
{
	(void)env;
	(void)prefix;
	/* Kept for the error text; libdb would print it otherwise. */
	(void)msg;
}

/* Names the group that may read path, for a permission error. */
int aliasdb_perm_error(const char *path, char *err, size_t errlen)
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
 * for wait_ms. Returns the fd, or -1 with *code and err set. *st is the
 * file as it is under the lock: a rebuild that rewrote it in place while
 * we waited has changed its size and mtime since open().
 */
static int lock_shared(const char *path, int wait_ms, struct stat *st, int *code, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO at the path must not hang us in open(). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		if (errno == EACCES)
			*code = aliasdb_perm_error(path, err, errlen);
		else if (errno == ENOENT)
			*code = errf(err, errlen, EXIT_NOINPUT, "%s: no such file", path);
		else
			*code = errf(err, errlen, EXIT_NOINPUT, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		*code = errf(err, errlen, EXIT_DATAERR, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	int64_t deadline = util_now_ms() + wait_ms;
	for (;;) {
		if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
			if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
				*code = errf(err, errlen, EXIT_DATAERR, "%s: not a regular file", path);
				close(fd);
				return -1;
			}
			return fd;
		}
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
		return aliasdb_perm_error(path, err, errlen);
	case EINVAL:
	case DB_OLD_VERSION:
		return errf(err, errlen, EXIT_DATAERR, "%s: not a Berkeley DB hash or btree file (or corrupt)", path);
	default:
		return errf(err, errlen, EXIT_DATAERR, "%s: cannot read: %s", path, db_strerror(rc));
	}
}

/*
 * libdb trusts its files: on a corrupt page it may crash, loop forever or
 * hand out records without end (seen with both DB_NEXT and bulk reads,
 * where db5.3_verify reports the damage). So the reading is done by a
 * child process that streams the records through a pipe; the parent holds
 * the lock, counts the records against what the file can hold, and turns a
 * crash, a hang or an endless scan into "corrupt database" (exit 65).
 *
 * The stream: 'T' type (1 hash, 2 btree); 'R' u32 klen, u32 vlen, key,
 * value (as stored, NULs included); 'N' not found (look-ups); 'E' i32
 * code, u16 len, text; 'D' the end.
 */
enum { READER_STALL_MS = 10000, MSG_MAX = 64 * 1024 * 1024 };

struct aliasdb_reader {
	char *path;
	int fd;       /* holds the shared flock */
	pid_t pid;    /* the child reading the db, or -1 */
	int in;       /* the pipe from it; spooled: closed by the child's exit only */
	int spool;    /* spooled: the memfd the child writes into, else -1 */
	off_t spool_off, punched;
	char *buf;
	size_t off, len, cap;
	bool eof, finished;
	size_t records, max_records;
	int64_t last_data;
	size_t with_nul, without_nul;
	struct alias_map *info;
	uint64_t ino, dev;
};

/* The child's output: a plain buffer written with write(2) (stdio's
 * per-call locking cost more than libdb for a million small records). */
struct cout {
	int fd;
	bool failed;
	size_t len;
	char buf[1 << 20];
};

static void cout_flush(struct cout *o)
{
	size_t off = 0;

	while (off < o->len && !o->failed) {
		ssize_t n = write(o->fd, o->buf + off, o->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			o->failed = true;
		else
			off += (size_t)n;
	}
	o->len = 0;
}

static void cout_add(struct cout *o, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		if (o->len == sizeof(o->buf))
			cout_flush(o);
		size_t k = sizeof(o->buf) - o->len < n ? sizeof(o->buf) - o->len : n;
		memcpy(o->buf + o->len, c, k);
		o->len += k;
		c += k;
		n -= k;
	}
}

static void cout_byte(struct cout *o, char c)
{
	cout_add(o, &c, 1);
}

static void put_u32(struct cout *o, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };
	cout_add(o, b, 4);
}

static uint32_t get_u32(const char *p)
{
	const unsigned char *b = (const unsigned char *)p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void child_error(struct cout *out, int code, const char *msg)
{
	size_t n = strlen(msg);

	if (n > 4000)
		n = 4000;
	cout_byte(out, 'E');
	put_u32(out, (uint32_t)code);
	put_u32(out, (uint32_t)n);
	cout_add(out, msg, n);
}

static void child_record(struct cout *out, const void *k, uint32_t kl, const void *v, uint32_t vl)
{
	cout_byte(out, 'R');
	put_u32(out, kl);
	put_u32(out, vl);
	cout_add(out, k, kl);
	cout_add(out, v, vl);
}

/* Records arrive in bulk (DB_MULTIPLE_KEY): one libdb call per buffer
 * instead of per record, which is where a plain DB_NEXT scan spends its time. */
enum { BULK_SIZE = 4 * 1024 * 1024, BULK_MAX = 256 * 1024 * 1024 };

/* The child: open, check, stream. Never returns. key == NULL: the whole db. */
static void __attribute__((noreturn)) child_main(int wfd, const char *path, uint64_t dev, uint64_t ino,
						 size_t max_records, const char *key, size_t klen)
{
	static struct cout cout;
	struct cout *out = &cout;
	DB *db = NULL;
	DBC *cur = NULL;
	DBTYPE type;
	struct stat st;
	char err[512];
	size_t records = 0;
	int rc;

	out->fd = wfd;
	if ((rc = db_create(&db, NULL, 0)) != 0) {
		snprintf(err, sizeof(err), "db_create: %s", db_strerror(rc));
		child_error(out, EXIT_SOFTWARE, err);
		goto out;
	}
	db->set_errcall(db, db_errcall);
	if ((rc = db->open(db, NULL, path, NULL, DB_UNKNOWN, DB_RDONLY, 0)) != 0) {
		int code = db_open_error(path, rc, err, sizeof(err));
		child_error(out, code, err);
		goto out;
	}
	/* The file locked must be the file opened: a rename between the two
	 * would leave us reading a file nobody locks. */
	if (stat(path, &st) != 0 || (uint64_t)st.st_ino != ino || (uint64_t)st.st_dev != dev) {
		snprintf(err, sizeof(err), "%s: replaced while opening; try again", path);
		child_error(out, EXIT_TEMPFAIL, err);
		goto out;
	}
	db->get_type(db, &type);
	if (type != DB_HASH && type != DB_BTREE) {
		snprintf(err, sizeof(err), "%s: a Berkeley DB %s file, not hash or btree", path,
			 type == DB_RECNO ? "recno" : type == DB_QUEUE ? "queue" : "unknown-type");
		child_error(out, EXIT_DATAERR, err);
		goto out;
	}
	cout_byte(out, 'T');
	cout_byte(out, type == DB_HASH ? 1 : 2);
	if (key != NULL) {
		/* sendmail's implicit class stores the NUL; hash:/btree: classes do not. */
		for (int withnul = 1; withnul >= 0; withnul--) {
			DBT k, v;
			memset(&k, 0, sizeof(k));
			memset(&v, 0, sizeof(v));
			k.data = (void *)key;
			k.size = (u_int32_t)(klen + (size_t)withnul);
			rc = db->get(db, NULL, &k, &v, 0);
			if (rc == 0) {
				child_record(out, k.data, k.size, v.data, v.size);
				goto done;
			}
			if (rc != DB_NOTFOUND) {
				snprintf(err, sizeof(err), "%s: corrupt database: %s", path, db_strerror(rc));
				child_error(out, EXIT_DATAERR, err);
				goto out;
			}
		}
		cout_byte(out, 'N');
		goto done;
	}
	if ((rc = db->cursor(db, NULL, &cur, 0)) != 0) {
		snprintf(err, sizeof(err), "%s: %s", path, db_strerror(rc));
		child_error(out, EXIT_DATAERR, err);
		goto out;
	}
	DBT bulk;
	memset(&bulk, 0, sizeof(bulk));
	bulk.ulen = BULK_SIZE;
	bulk.data = xmalloc(bulk.ulen);
	bulk.flags = DB_DBT_USERMEM;
	for (;;) {
		DBT k;
		void *pos, *kp, *vp;
		u_int32_t kl, vl;

		memset(&k, 0, sizeof(k));
		rc = cur->get(cur, &k, &bulk, DB_NEXT | DB_MULTIPLE_KEY);
		if (rc == DB_BUFFER_SMALL) {
			/* One record larger than the buffer: make room for it, within reason. */
			uint64_t want = (uint64_t)bulk.size > bulk.ulen ? (uint64_t)bulk.size * 2 : (uint64_t)bulk.ulen * 2;
			if (want > BULK_MAX) {
				snprintf(err, sizeof(err), "%s: corrupt database: a record claims %u bytes", path,
					 (unsigned)bulk.size);
				child_error(out, EXIT_DATAERR, err);
				goto out;
			}
			bulk.ulen = (u_int32_t)want;
			bulk.data = xrealloc(bulk.data, bulk.ulen);
			continue;
		}
		if (rc == DB_NOTFOUND)
			break;
		if (rc != 0) {
			snprintf(err, sizeof(err), "%s: corrupt database: %s", path, db_strerror(rc));
			child_error(out, EXIT_DATAERR, err);
			goto out;
		}
		DB_MULTIPLE_INIT(pos, &bulk);
		for (;;) {
			DB_MULTIPLE_KEY_NEXT(pos, &bulk, kp, kl, vp, vl);
			if (pos == NULL)
				break;
			/* The parent counts too, but a spool is not drained while
			 * the console is stopped: an endless scan must end here. */
			if (++records > max_records) {
				snprintf(err, sizeof(err),
					 "%s: corrupt database: more records than the file can hold (its pages loop)", path);
				child_error(out, EXIT_DATAERR, err);
				goto out;
			}
			child_record(out, kp, kl, vp, vl);
		}
	}
done:
	cout_byte(out, 'D');
out:
	cout_flush(out);
	/* No atexit handlers, no libdb close: the parent owns what matters. */
	_exit(0);
}

static void reader_kill(struct aliasdb_reader *r)
{
	if (r->pid > 0) {
		kill(r->pid, SIGKILL);
		while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
			;
		r->pid = -1;
	}
}

void aliasdb_reader_close(struct aliasdb_reader *r)
{
	if (r == NULL)
		return;
	reader_kill(r);
	if (r->in >= 0)
		close(r->in);
	if (r->spool >= 0)
		close(r->spool);
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r->path);
	free(r);
}

/* The child ended the stream early: why, in words. */
static int reader_died(struct aliasdb_reader *r, char *err, size_t errlen)
{
	int status = 0;
	pid_t pid = r->pid;

	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		r->pid = -1;
	}
	if (WIFSIGNALED(status))
		return errf(err, errlen, EXIT_DATAERR,
			    "%s: corrupt database: libdb died reading it (signal %d); db5.3_verify %s tells more",
			    r->path, WTERMSIG(status), r->path);
	return errf(err, errlen, EXIT_DATAERR, "%s: corrupt database: the reader stopped early; db5.3_verify %s tells more",
		    r->path, r->path);
}

/* What the spool has beyond what was read; when nothing, looks again every
 * few ms for up to wait_ms (the child writes to the spool, not to the pipe,
 * whose end only says the child is gone). Same returns as below. */
static int spool_fill(struct aliasdb_reader *r, int wait_ms)
{
	int64_t deadline = util_now_ms() + wait_ms;
	bool gone = false;

	for (;;) {
		ssize_t got = pread(r->spool, r->buf + r->len, r->cap - r->len, r->spool_off);
		if (got < 0)
			return errno == EINTR ? 0 : -1;
		if (got > 0) {
			r->spool_off += got;
			r->len += (size_t)got;
			r->last_data = util_now_ms();
			/* What was read needs no memory any more. */
			off_t done = r->spool_off & ~(off_t)((1 << 22) - 1);
			if (done - r->punched >= (off_t)1 << 23) {
				fallocate(r->spool, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, r->punched,
					  done - r->punched);
				r->punched = done;
			}
			return 1;
		}
		if (gone)
			break; /* all it wrote was read */
		int64_t left = deadline - util_now_ms();
		struct pollfd pfd = { .fd = r->in, .events = POLLIN };
		int n = poll(&pfd, 1, left <= 0 ? 0 : left < 2 ? (int)left : 2);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0)
			gone = true; /* read once more: its last writes are in the spool */
		else if (left <= 0)
			return 0;
	}
	r->eof = true;
	return -1;
}

/*
 * Reads what the pipe has, waiting up to wait_ms for the first byte.
 * Returns 1 when bytes came, 0 when none did in time, -1 at the end.
 */
static int reader_fill(struct aliasdb_reader *r, int wait_ms)
{
	struct pollfd pfd = { .fd = r->in, .events = POLLIN };

	if (r->eof)
		return -1;
	if (r->off > 0 && r->off == r->len)
		r->off = r->len = 0;
	if (r->off > 0 && r->off > r->cap / 2) {
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	if (r->cap - r->len < 65536) {
		r->cap = r->cap != 0 ? r->cap * 2 : 1 << 20;
		r->buf = xrealloc(r->buf, r->cap);
	}
	if (r->spool >= 0)
		return spool_fill(r, wait_ms);
	int n = poll(&pfd, 1, wait_ms);
	if (n < 0 && errno != EINTR)
		return -1;
	if (n <= 0)
		return 0;
	ssize_t got = read(r->in, r->buf + r->len, r->cap - r->len);
	if (got < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (got == 0) {
		r->eof = true;
		return -1;
	}
	r->len += (size_t)got;
	r->last_data = util_now_ms();
	return 1;
}

struct msg {
	char tag;
	const char *k, *v;
	uint32_t kl, vl;
	int code;
};

/* The next whole message in the buffer: 1, or 0 when more bytes are needed, -1 when garbled. */
static int reader_msg(struct aliasdb_reader *r, struct msg *m)
{
	const char *p = r->buf + r->off;
	size_t have = r->len - r->off;

	if (have < 1)
		return 0;
	m->tag = p[0];
	switch (m->tag) {
	case 'D':
	case 'N':
		r->off += 1;
		return 1;
	case 'T':
		if (have < 2)
			return 0;
		m->code = (unsigned char)p[1];
		r->off += 2;
		return 1;
	case 'R':
	case 'E':
		if (have < 9)
			return 0;
		m->kl = get_u32(p + 1);
		m->vl = get_u32(p + 5);
		if (m->tag == 'E') {
			m->code = (int)m->kl;
			m->kl = 0;
		}
		if ((uint64_t)m->kl + m->vl > MSG_MAX)
			return -1;
		if (r->cap < 9 + (size_t)m->kl + m->vl + 65536) {
			/* Room for one large record. */
			size_t want = 9 + (size_t)m->kl + m->vl + 65536;
			memmove(r->buf, p, have);
			r->off = 0;
			r->len = have;
			r->cap = want;
			r->buf = xrealloc(r->buf, r->cap);
			return 0;
		}
		if (have < 9 + (size_t)m->kl + m->vl)
			return 0;
		m->k = p + 9;
		m->v = p + 9 + m->kl;
		r->off += 9 + (size_t)m->kl + m->vl;
		return 1;
	default:
		return -1;
	}
}

/* Waits for the next message (up to the stall limit). 1, or an exit code. */
static int reader_next(struct aliasdb_reader *r, struct msg *m, int wait_ms, char *err, size_t errlen, bool *none)
{
	*none = false;
	for (;;) {
		int g = reader_msg(r, m);
		if (g > 0)
			return 0;
		if (g < 0)
			return reader_died(r, err, errlen);
		int f = reader_fill(r, wait_ms);
		if (f < 0)
			return reader_died(r, err, errlen);
		if (f == 0) {
			if (util_now_ms() - r->last_data > READER_STALL_MS) {
				reader_kill(r);
				return errf(err, errlen, EXIT_DATAERR,
					    "%s: corrupt database: libdb stopped answering (a loop in its pages?); "
					    "db5.3_verify %s tells more",
					    r->path, r->path);
			}
			if (wait_ms == 0) {
				*none = true;
				return 0;
			}
		}
	}
}

/*
 * Opens the lock and starts the child; key != NULL for one look-up. The
 * child inherits the locked descriptor and the parent closes its own, so
 * the lock lasts exactly as long as the child. spool: the child writes into
 * a memfd rather than a pipe, never waits for the parent, and so releases
 * the lock when its read is done, however slowly (or not at all, when the
 * console is stopped) the parent takes the records.
 */
static int reader_start(const char *path, int lock_wait_ms, struct alias_map *info, const char *key, size_t klen,
			bool spool, struct aliasdb_reader **out, char *err, size_t errlen)
{
	struct aliasdb_reader *r = xcalloc(1, sizeof(*r));
	struct stat st;
	int code = 0, pfd[2];

	*out = NULL;
	r->path = xstrdup(path);
	r->info = info;
	r->pid = -1;
	r->in = -1;
	r->spool = -1;
	r->fd = lock_shared(path, lock_wait_ms, &st, &code, err, errlen);
	if (r->fd < 0)
		goto fail;
	r->dev = (uint64_t)st.st_dev;
	r->ino = (uint64_t)st.st_ino;
	/* Every record takes at least a few bytes of its page: more records
	 * than that means the pages loop. */
	r->max_records = (size_t)st.st_size / 4 + 16;
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		code = errf(err, errlen, EXIT_SOFTWARE, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (spool && (r->spool = memfd_create("mailops-aliases", MFD_CLOEXEC)) < 0) {
		code = errf(err, errlen, EXIT_SOFTWARE, "memfd_create: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		goto fail;
	}
	/* A larger pipe: fewer switches between the two processes. */
	if (!spool)
		fcntl(pfd[1], F_SETPIPE_SZ, 1 << 20);
	fflush(NULL);
	r->pid = fork();
	if (r->pid < 0) {
		code = errf(err, errlen, EXIT_SOFTWARE, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		goto fail;
	}
	if (r->pid == 0) {
		close(pfd[0]);
		signal(SIGPIPE, SIG_DFL);
		/* Ctrl-Z stops the console's process group: the reader must
		 * finish (and release the lock) all the same. */
		signal(SIGTSTP, SIG_IGN);
		signal(SIGTTIN, SIG_IGN);
		signal(SIGTTOU, SIG_IGN);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		/* Nothing of libdb's dying words on the user's terminal. */
		int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (devnull >= 0)
			dup2(devnull, STDERR_FILENO);
		child_main(spool ? r->spool : pfd[1], path, r->dev, r->ino, r->max_records, key, klen);
	}
	close(pfd[1]);
	/* The child holds the lock from here on (same open file description). */
	close(r->fd);
	r->fd = -1;
	r->in = pfd[0];
	r->last_data = util_now_ms();
	/* The first answer: the type, or why not. */
	struct msg m;
	bool none;
	if ((code = reader_next(r, &m, READER_STALL_MS, err, errlen, &none)) != 0)
		goto fail;
	if (m.tag == 'E') {
		code = errf(err, errlen, m.code, "%.*s", (int)m.vl, m.v);
		goto fail;
	}
	if (m.tag != 'T') {
		code = reader_died(r, err, errlen);
		goto fail;
	}
	if (info != NULL) {
		free(info->path);
		info->path = xstrdup(path);
		snprintf(info->type, sizeof(info->type), "%s", m.code == 1 ? "hash" : "btree");
		fill_identity(info, &st);
		info->has_at = false;
	}
	*out = r;
	return 0;
fail:
	aliasdb_reader_close(r);
	return code;
}

/* A rebuild renames the new file over the old one: the file locked and the
 * file opened can differ for a moment. Open again then, within the wait. */
static int reader_open(const char *path, int lock_wait_ms, struct alias_map *info, bool spool,
		       struct aliasdb_reader **out, char *err, size_t errlen)
{
	int64_t deadline = util_now_ms() + lock_wait_ms;

	for (;;) {
		int64_t left = deadline - util_now_ms();
		int code = reader_start(path, left > 0 ? (int)left : 0, info, NULL, 0, spool, out, err, errlen);
		if (code != EXIT_TEMPFAIL || strstr(err, "replaced while opening") == NULL || util_now_ms() >= deadline)
			return code;
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

int aliasdb_reader_open(const char *path, int lock_wait_ms, struct alias_map *info, struct aliasdb_reader **out,
			char *err, size_t errlen)
{
	return reader_open(path, lock_wait_ms, info, false, out, err, errlen);
}

int aliasdb_reader_open_spooled(const char *path, int lock_wait_ms, struct alias_map *info,
				struct aliasdb_reader **out, char *err, size_t errlen)
{
	return reader_open(path, lock_wait_ms, info, true, out, err, errlen);
}

/* Strips exactly one trailing NUL. */
static uint32_t strip_nul(const char *p, uint32_t n)
{
	return n > 0 && p[n - 1] == '\0' ? n - 1 : n;
}

int aliasdb_reader_step(struct aliasdb_reader *r, size_t max, int wait_ms, aliasdb_cb cb, void *arg, bool *done,
			char *err, size_t errlen)
{
	size_t n = 0;

	*done = r->finished;
	while (!r->finished && n < max) {
		struct msg m;
		bool none;
		int code = reader_next(r, &m, wait_ms, err, errlen, &none);

		if (code != 0)
			return code;
		if (none)
			break;
		if (m.tag == 'E') {
			code = errf(err, errlen, m.code, "%.*s", (int)m.vl, m.v);
			reader_kill(r);
			return code;
		}
		if (m.tag == 'D' || m.tag == 'N') {
			r->finished = true;
			break;
		}
		if (m.tag != 'R')
			return reader_died(r, err, errlen);
		if (++r->records > r->max_records) {
			reader_kill(r);
			return errf(err, errlen, EXIT_DATAERR,
				    "%s: corrupt database: more records than the file can hold (its pages loop); "
				    "db5.3_verify %s tells more",
				    r->path, r->path);
		}
		uint32_t kl = strip_nul(m.k, m.kl), vl = strip_nul(m.v, m.vl);
		bool nul = kl != m.kl;

		if (nul)
			r->with_nul++;
		else
			r->without_nul++;
		if (r->info != NULL && kl == 1 && m.k[0] == '@')
			r->info->has_at = true;
		n++;
		if (cb(arg, m.k, kl, m.v, vl, nul) != 0) {
			r->finished = true;
			reader_kill(r);
			break;
		}
	}
	if (r->finished) {
		*done = true;
		if (r->info != NULL) {
			r->info->nul_terminated = r->with_nul > 0;
			r->info->mixed_nul = r->with_nul > 0 && r->without_nul > 0;
		}
	}
	return 0;
}

int aliasdb_scan(const char *path, int lock_wait_ms, aliasdb_cb cb, void *arg, struct alias_map *info, char *err,
		 size_t errlen)
{
	struct aliasdb_reader *r;
	bool done = false;
	int code = aliasdb_reader_open(path, lock_wait_ms, info, &r, err, errlen);

	while (code == 0 && !done)
		code = aliasdb_reader_step(r, (size_t)-1, READER_STALL_MS, cb, arg, &done, err, errlen);
	aliasdb_reader_close(r);
	return code;
}

static int snapshot_cb(void *arg, const char *k, size_t klen, const char *v, size_t vlen, bool nul)
{
	aliasmap_add_db(arg, k, klen, v, vlen, nul);
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
	aliasmap_db_done(&fresh);
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

/* fsync of a file or directory by name (best effort for directories). */
static int sync_path(const char *path, bool dir)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int aliasdb_build(const struct alias_map *m, const char *db_path, bool postfix, int lock_wait_ms, char *err,
		  size_t errlen)
{
	char *tmp = NULL;
	DB *db = NULL;
	int rc, code = 0, oldfd = -1, tfd;
	struct stat old;
	bool have_old = false;

	tmp = xasprintf("%s.mailops.XXXXXX", db_path);
	tfd = mkstemp(tmp);
	if (tfd < 0) {
		code = errno == EACCES ? aliasdb_perm_error(db_path, err, errlen)
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
	/* On disk before it takes the name: a crash must not leave a renamed
	 * db that is empty or partial. */
	if (sync_path(tmp, false) != 0) {
		code = errf(err, errlen, EXIT_SOFTWARE, "%s: fsync: %s", tmp, strerror(errno));
		goto fail;
	}
	/* Keep the old file's owner and mode; hold its exclusive lock (as
	 * newaliases does) while the new one takes its name. Readers hold it
	 * shared for a moment: wait for them, within lock_wait_ms. */
	oldfd = open(db_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (oldfd >= 0 && fstat(oldfd, &old) == 0) {
		int64_t deadline = util_now_ms() + lock_wait_ms;
		have_old = true;
		while (flock(oldfd, LOCK_EX | LOCK_NB) != 0) {
			if ((errno != EWOULDBLOCK && errno != EINTR) || util_now_ms() >= deadline) {
				code = errno == EWOULDBLOCK
					       ? errf(err, errlen, EXIT_TEMPFAIL,
						      "%s: being read or rebuilt (locked for more than %d ms); try again",
						      db_path, lock_wait_ms)
					       : errf(err, errlen, EXIT_TEMPFAIL, "%s: cannot lock: %s", db_path,
						      strerror(errno));
				goto fail;
			}
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		if (chown(tmp, old.st_uid, old.st_gid) != 0 && geteuid() == 0) {
			code = errf(err, errlen, EXIT_SOFTWARE, "%s: chown: %s", tmp, strerror(errno));
			goto fail;
		}
		chmod(tmp, old.st_mode & 07777);
	}
	if (rename(tmp, db_path) != 0) {
		code = errno == EACCES ? aliasdb_perm_error(db_path, err, errlen)
				       : errf(err, errlen, EXIT_SOFTWARE, "rename %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (oldfd >= 0)
		close(oldfd);
	(void)have_old;
	/* And the rename itself. */
	char *dir = xstrdup(db_path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, strlen(dir) + 1, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	sync_path(dir, true);
	free(dir);
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

static int get_cb(void *arg, const char *k, size_t klen, const char *v, size_t vlen, bool nul)
{
	struct buf *b = arg;

	(void)k;
	(void)klen;
	(void)nul;
	buf_reset(b);
	buf_add(b, v, vlen);
	buf_addc(b, '\0');
	return 0;
}

int aliasdb_get(const char *path, int lock_wait_ms, const char *name, size_t len, char **val, size_t *vlen,
		int *code, char *err, size_t errlen)
{
	struct aliasdb_reader *r = NULL;
	struct buf b;
	bool done = false;
	char *key = xmalloc(len + 1);
	int64_t deadline = util_now_ms() + lock_wait_ms;

	for (size_t i = 0; i < len; i++)
		key[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	key[len] = '\0';
	buf_init(&b);
	for (;;) {
		int64_t left = deadline - util_now_ms();
		*code = reader_start(path, left > 0 ? (int)left : 0, NULL, key, len, false, &r, err, errlen);
		if (*code != EXIT_TEMPFAIL || strstr(err, "replaced while opening") == NULL || util_now_ms() >= deadline)
			break;
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	while (*code == 0 && !done)
		*code = aliasdb_reader_step(r, 1, READER_STALL_MS, get_cb, &b, &done, err, errlen);
	aliasdb_reader_close(r);
	free(key);
	if (*code != 0) {
		buf_free(&b);
		return -1;
	}
	if (b.len == 0) {
		buf_free(&b);
		return 0;
	}
	*vlen = b.len - 1;
	*val = buf_take(&b);
	return 1;
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

/*
 * The value of a main.cf parameter as Postfix reads it: logical lines (a
 * line starting with whitespace continues the one before, joined with a
 * space; comment lines skipped), the last definition winning. malloc'd or
 * NULL.
 */
static char *postfix_param(FILE *f, const char *name)
{
	struct buf logical;
	char *value = NULL;
	char *line = NULL;
	size_t cap = 0, nl = strlen(name);
	ssize_t len;
	bool more = true;

	buf_init(&logical);
	while (more) {
		len = getline(&line, &cap, f);
		more = len >= 0;
		if (more) {
			line[strcspn(line, "\r\n")] = '\0';
			const char *q = line + strspn(line, " \t");
			if (*q == '#' || *q == '\0')
				continue;
			if (q != line && logical.len > 0) {
				buf_addc(&logical, ' ');
				buf_adds(&logical, q);
				continue;
			}
		}
		/* A logical line is complete: is it name = value? */
		if (logical.len > 0) {
			buf_addc(&logical, '\0');
			char *p = logical.data;
			if (strncmp(p, name, nl) == 0) {
				p += nl;
				while (*p == ' ' || *p == '\t')
					p++;
				if (*p == '=') {
					p++;
					free(value);
					value = xstrdup(p + strspn(p, " \t"));
				}
			}
			buf_reset(&logical);
		}
		if (more && line[0] != ' ' && line[0] != '\t')
			buf_adds(&logical, line);
	}
	free(line);
	buf_free(&logical);
	return value;
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
		char *value = postfix_param(f, "alias_maps");
		fclose(f);
		for (char *p = value; p != NULL && found == NULL && *p != '\0';) {
			while (*p == ' ' || *p == '\t' || *p == ',')
				p++;
			size_t n = strcspn(p, ", \t");
			if (n > 0 && (strncmp(p, "hash:", 5) == 0 || strncmp(p, "btree:", 6) == 0))
				found = map_path(p, n);
			p += n;
		}
		free(value);
	}
	if (found == NULL)
		found = xstrdup("/etc/aliases");
	char *db = xasprintf("%s.db", found);
	free(found);
	return db;
}

bool aliasdb_is_db(const char *path)
{
	unsigned char b[16];
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return false;
	size_t n = fread(b, 1, sizeof(b), f);
	fclose(f);
	if (n < sizeof(b))
		return false;
	/* the metadata page's magic, at offset 12, in either byte order */
	uint32_t le = (uint32_t)b[12] | (uint32_t)b[13] << 8 | (uint32_t)b[14] << 16 | (uint32_t)b[15] << 24;
	uint32_t be = (uint32_t)b[15] | (uint32_t)b[14] << 8 | (uint32_t)b[13] << 16 | (uint32_t)b[12] << 24;
	return le == 0x061561 || le == 0x053162 || be == 0x061561 || be == 0x053162;
}
