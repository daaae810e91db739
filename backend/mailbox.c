/*
 * backend/mailbox.c: messages from mailboxes, one at a time, in order: mbox
 * files (mboxo and mboxrd ">From " quoting, an optional Content-Length),
 * Maildir folders (cur/ and new/, never tmp/; with recursive, the
 * Maildir++ subfolders too), MH and plain directories, single message
 * files, and "-" for standard input.
 *
 * Files are mapped, not read: a message is handed to the callback as a
 * pointer into the mapping (or, when it holds quoted ">From " lines, as a
 * copy in one reused buffer), so memory is bounded by the largest message,
 * never by the mailbox. Standard input, and a file with CR-only line ends
 * (as a copy with LF ones), are spooled to an unlinked temporary file and
 * mapped the same way. A message that
 * cannot be read (an unreadable file in a Maildir, an mbox cut in its
 * header) becomes an error or truncated message and the reading goes on.
 * A file cut short by another program while it is mapped would raise
 * SIGBUS: the handler puts zeros where the pages were, and the reading
 * stops there with an error rather than a crash (what was read stays).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"

struct reader {
	const struct mbox_opts *o;
	mbox_fn cb;
	void *arg;
	size_t n;        /* messages handed out so far */
	struct buf copy; /* a message that needed unquoting */
	uint64_t done, total;
	int stop;        /* the callback's non-zero return */
	struct stat *seen; /* Maildirs read (dev, ino): a link back is not followed */
	size_t nseen;
};

static void progress(struct reader *r, uint64_t add)
{
	uint64_t before = r->done;

	r->done += add;
	/* every 16 MB, and at the end */
	if (r->o != NULL && r->o->progress != NULL &&
	    (r->done / (16u << 20) != before / (16u << 20) || r->done == r->total))
		r->o->progress(r->o->arg, r->done, r->total);
}

static int deliver(struct reader *r, struct mbox_msg *m)
{
	m->n = ++r->n;
	int k = r->cb(r->arg, m);
	if (k != 0)
		r->stop = k;
	return k;
}

/* ---- a mapping that shrinks under us ---- */

static volatile sig_atomic_t shrank;
static uintptr_t guard_lo, guard_hi, guard_page;
static struct sigaction bus_old;

static void bus_handler(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	(void)sig;
	(void)uc;
	if (a >= guard_lo && a < guard_hi) {
		uintptr_t from = a & ~(guard_page - 1);
		if (mmap((void *)from, guard_hi - from, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0) !=
		    MAP_FAILED) {
			shrank = 1;
			return; /* the read again, of zeros now */
		}
	}
	/* not the mailbox's: the fault again, handled as before */
	sigaction(SIGBUS, &bus_old, NULL);
}

/* Watches [p, p + n) for SIGBUS until guard_end(). */
static void guard_begin(const char *p, size_t n)
{
	struct sigaction sa;

	guard_page = (uintptr_t)sysconf(_SC_PAGESIZE);
	guard_lo = (uintptr_t)p;
	guard_hi = ((uintptr_t)p + n + guard_page - 1) & ~(guard_page - 1);
	shrank = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = bus_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &bus_old);
}

/* Stops watching; 0, or an error when the file shrank meanwhile. */
static int guard_end(const char *path, char *err, size_t errlen)
{
	sigaction(SIGBUS, &bus_old, NULL);
	guard_lo = guard_hi = 0;
	if (!shrank)
		return 0;
	return errf(err, errlen, EXIT_DATAERR,
		    "%s: the file shrank while it was read (rewritten by another program?); the rest was not read",
		    path);
}

/* Whether a file has bare CR line ends (old Mac mail; its first 64 KB say):
 * it is then read through a copy with LF ones. */
static bool cr_only(const char *p, size_t n)
{
	const char *cr = memchr(p, '\r', n < 65536 ? n : 65536);

	return cr != NULL && (size_t)(cr - p) + 1 < n && cr[1] != '\n' && memchr(p, '\n', n < 65536 ? n : 65536) == NULL;
}

static bool is_from_line(const char *p, size_t n)
{
	return n >= 5 && memcmp(p, "From ", 5) == 0;
}

/*
 * The first "From " right after a byte a or b ('\n': a line's start; '>':
 * a quoted one) in p[0..n): a pointer to that byte, or NULL. This search
 * runs over every byte of a mailbox, so it looks at 16 bytes at a time for
 * a or b followed by 'F', a pair rare in text, and checks the rest only
 * there; glibc's memmem is several times slower for one such needle.
 */
static const char *find_from(const char *p, size_t n, char a, char b)
{
	const char *end = p + n;

#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vf = _mm_set1_epi8('F');
	for (; end - p >= 17; p += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i y = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
		__m128i lead = _mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(lead, _mm_cmpeq_epi8(y, vf)));
		for (; m != 0; m &= m - 1) {
			const char *c = p + __builtin_ctz(m);
			if (end - c >= 6 && memcmp(c + 2, "rom ", 4) == 0)
				return c;
		}
	}
#endif
	for (; end - p >= 6; p++)
		if ((*p == a || *p == b) && memcmp(p + 1, "From ", 5) == 0)
			return p;
	return NULL;
}

/* Whether the ">From " at q (in the message at p) is a quoted From line: its
 * run of '>' starts a line. */
static bool quoted_from_at(const char *p, const char *q)
{
	while (q > p && q[-1] == '>')
		q--;
	return q == p || q[-1] == '\n';
}

/*
 * The message's bytes as they were before the mbox quoted them: a line
 * ">From " (mboxo) or ">>From " (mboxrd) loses one '>'. Only when there is
 * one; else the mapping is used as is.
 */
static void unquote(struct reader *r, struct mbox_msg *m, int known)
{
	const char *p = m->data;
	size_t n = m->len;
	bool quoted = known > 0;

	/* Most messages hold no ">From " at all: one search says so (unless
	 * the caller's search for the next message said it already: known >= 0). */
	for (const char *q = p; known < 0 && !quoted && (q = find_from(q, n - (size_t)(q - p), '>', '>')) != NULL; q++)
		quoted = quoted_from_at(p, q);
	if (!quoted)
		return;
	buf_reset(&r->copy);
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t e = nl != NULL ? (size_t)(nl - p) + 1 : n;
		size_t k = i;
		while (k < e && p[k] == '>')
			k++;
		if (k > i && e - k >= 5 && memcmp(p + k, "From ", 5) == 0)
			i++;
		buf_add(&r->copy, p + i, e - i);
		i = e;
	}
	m->data = r->copy.data;
	m->len = r->copy.len;
}

/* The end of the header (the offset of the body), or len when there is no blank line. */
size_t mail_body_offset(const char *p, size_t len)
{
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(p + i, '\n', len - i);
		if (nl == NULL)
			return len;
		size_t e = (size_t)(nl - p) + 1;
		size_t ll = e - i - 1;
		if (ll == 0 || (ll == 1 && p[i] == '\r'))
			return e;
		i = e;
	}
	return len;
}

bool mail_header(const char *p, size_t len, const char *name, struct buf *out)
{
	size_t nl = strlen(name);
	size_t end = mail_body_offset(p, len);

	buf_reset(out);
	for (size_t i = 0; i < end;) {
		const char *lf = memchr(p + i, '\n', end - i);
		size_t e = lf != NULL ? (size_t)(lf - p) + 1 : end;
		if (e - i > nl && p[i + nl] == ':' && strncasecmp(p + i, name, nl) == 0) {
			/* The value, unfolded: continuation lines joined, CRLF dropped. */
			size_t s = i + nl + 1;
			while (s < e && (p[s] == ' ' || p[s] == '\t'))
				s++;
			for (;;) {
				size_t ve = e;
				while (ve > s && (p[ve - 1] == '\n' || p[ve - 1] == '\r'))
					ve--;
				buf_add(out, p + s, ve - s);
				if (e >= end || (p[e] != ' ' && p[e] != '\t'))
					break;
				s = e;
				lf = memchr(p + e, '\n', end - e);
				e = lf != NULL ? (size_t)(lf - p) + 1 : end;
			}
			return true;
		}
		i = e;
	}
	return false;
}

/* The Content-Length of a header, or -1. */
static int64_t content_length(const char *p, size_t len, struct buf *tmp)
{
	if (!mail_header(p, len, "Content-Length", tmp))
		return -1;
	char *end;
	long long v = strtoll(tmp->data, &end, 10);
	return end != tmp->data && v >= 0 ? v : -1;
}

/*
 * Pages of the mapping before p + to go back to the page cache: a message
 * is the callback's during its call only, so what is behind the reading
 * point is not looked at again, and the process's memory stays bounded by
 * the largest message rather than growing to the mailbox (a 1 GB mbox
 * would otherwise show 1 GB resident). Every 16 MB.
 */
static void drop_behind(const char *p, size_t *dropped, size_t to)
{
	if (to - *dropped < (16u << 20))
		return;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)(p + *dropped) + page - 1) & ~(page - 1);
	uintptr_t b = (uintptr_t)(p + to) & ~(page - 1);
	if (b > a)
		madvise((void *)a, b - a, MADV_DONTNEED);
	*dropped = to;
}

/* Splits a mapped mbox into messages at "From " lines that follow a blank
 * line (or start the file); a Content-Length that lands on the next "From "
 * line (or the end) is believed, so an unquoted "From " in a body stays. */
static void split_mbox(struct reader *r, const char *source, const char *p, size_t n)
{
	struct buf tmp;
	size_t i = 0, dropped = 0;

	buf_init(&tmp);
	while (i < n && r->stop == 0 && !shrank) {
		/* the From_ line */
		const char *nl = memchr(p + i, '\n', n - i);
		size_t hs = nl != NULL ? (size_t)(nl - p) + 1 : n;
		struct mbox_msg m = { .source = source, .offset = (int64_t)i };
		m.from_line = is_from_line(p + i, n - i) ? p + i : NULL;
		m.from_len = m.from_line != NULL ? hs - i - 1 : 0;
		if (m.from_line == NULL)
			hs = i; /* text before the first From_: a message of its own */
		/* where the next message starts */
		size_t next = n;
		size_t body = hs + mail_body_offset(p + hs, n - hs);
		int64_t cl = content_length(p + hs, n - hs, &tmp);
		if (cl >= 0 && body + (size_t)cl <= n) {
			size_t e = body + (size_t)cl;
			size_t k = e;
			while (k < n && (p[k] == '\n' || p[k] == '\r'))
				k++;
			if (k >= n || is_from_line(p + k, n - k))
				next = k;
			else
				cl = -1;
		} else {
			cl = -1;
		}
		int quoted = -1; /* ">From " lines in the message: unknown */
		size_t quoted_at = 0;
		if (cl < 0) {
			/* "From " at the start of a line after an empty one (LF or
			 * CRLF); find_from finds the candidates without a line walk,
			 * and the quoted ">From " lines unquote() needs on the way. */
			quoted = 0;
			for (size_t k = hs > 0 ? hs - 1 : 0; k < n;) {
				const char *f = find_from(p + k, n - k, '\n', '>');
				if (f == NULL)
					break;
				size_t c = (size_t)(f - p); /* the LF (or '>') before From */
				if (*f == '>') {
					if (quoted == 0 && c >= hs && quoted_from_at(p + hs, f)) {
						quoted = 1;
						quoted_at = c;
					}
					k = c + 1;
					continue;
				}
				/* after a blank line; or inside what would be this
				 * message's header, where no line starts "From ": the
				 * message was cut in its header, the next begins */
				if (c >= hs && c > 0 &&
				    (p[c - 1] == '\n' || (c >= 2 && p[c - 1] == '\r' && p[c - 2] == '\n') || c == hs ||
				     c + 1 < body)) {
					next = c + 1;
					break;
				}
				k = c + 1;
			}
		}
		/* the message without the blank line that separates it from the next */
		size_t end = next;
		if (end < n && end > hs && p[end - 1] == '\n') {
			end--;
			if (end > hs && p[end - 1] == '\r')
				end--;
		}
		m.data = p + hs;
		m.len = end > hs ? end - hs : 0;
		m.truncated = body > end || (next == n && cl < 0 && mail_body_offset(m.data, m.len) == m.len);
		if (quoted == 1 && quoted_at + 6 > end)
			quoted = -1; /* not inside the message after all: look again */
		unquote(r, &m, quoted);
		deliver(r, &m);
		progress(r, next - i);
		i = next;
		drop_behind(p, &dropped, i);
	}
	buf_free(&tmp);
}

static int map_file(const char *path, int fd, const char **p, size_t *n, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return errf(err, errlen, EXIT_NOINPUT, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return errf(err, errlen, EXIT_NOINPUT, "%s: not a regular file", path);
	*n = (size_t)st.st_size;
	*p = "";
	if (*n == 0)
		return 0;
	void *m = mmap(NULL, *n, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return errf(err, errlen, EXIT_NOINPUT, "%s: %s", path, strerror(errno));
	madvise(m, *n, MADV_SEQUENTIAL);
	*p = m;
	return 0;
}

/* An unlinked temporary file (in $TMPDIR) for what must be mapped. */
static int spool_file(const char *what, char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/mailops-spool.XXXXXX", dir != NULL && dir[0] ? dir : "/tmp");
	int fd = mkstemp(tmpl);

	if (fd < 0)
		errf(err, errlen, EXIT_NOINPUT, "cannot spool %s: %s", what, strerror(errno));
	else
		unlink(tmpl);
	free(tmpl);
	return fd;
}

/*
 * A file with CR-only line ends (old Mac mail) as a spooled copy with LF
 * ones, so the splitting, the header reading and the parsers all see the
 * lines; the copy is written a chunk at a time. Returns its descriptor or -1.
 */
static int cr_to_lf(const char *path, const char *p, size_t n, char *err, size_t errlen)
{
	int fd = spool_file(path, err, errlen);
	char b[65536];

	for (size_t i = 0; fd >= 0 && i < n;) {
		size_t k = n - i < sizeof(b) ? n - i : sizeof(b);
		for (size_t j = 0; j < k; j++)
			b[j] = p[i + j] == '\r' && (i + j + 1 == n || p[i + j + 1] != '\n') ? '\n' : p[i + j];
		if (!child_write_all(fd, b, k)) {
			errf(err, errlen, EXIT_NOINPUT, "cannot spool %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		i += k;
	}
	return fd;
}

/* map_file, with a file of CR-only line ends mapped as its LF copy (*lf
 * its descriptor, to close after the munmap; -1 when there is none). */
static int map_lf(const char *path, int fd, const char **p, size_t *n, int *lf, char *err, size_t errlen)
{
	int rc = map_file(path, fd, p, n, err, errlen);

	*lf = -1;
	if (rc != 0 || *n == 0 || !cr_only(*p, *n))
		return rc;
	*lf = cr_to_lf(path, *p, *n, err, errlen);
	munmap((void *)*p, *n);
	if (*lf < 0)
		return EXIT_NOINPUT;
	if ((rc = map_file(path, *lf, p, n, err, errlen)) != 0) {
		close(*lf);
		*lf = -1;
	}
	return rc;
}

/* A file: an mbox when it starts with "From ", else one message. */
static int read_file(struct reader *r, const char *path, int fd, bool single_only, char *err, size_t errlen)
{
	const char *p;
	size_t n;
	int lf, rc = map_lf(path, fd, &p, &n, &lf, err, errlen);

	if (rc != 0)
		return rc;
	guard_begin(p, n);
	if (!single_only && is_from_line(p, n)) {
		split_mbox(r, path, p, n);
	} else {
		struct mbox_msg m = { .source = path, .data = p, .len = n };
		m.truncated = n > 0 && mail_body_offset(p, n) == n && memchr(p, '\n', n) == NULL;
		unquote(r, &m, -1);
		deliver(r, &m);
		progress(r, n);
	}
	rc = guard_end(path, err, errlen);
	if (n > 0)
		munmap((void *)p, n);
	if (lf >= 0)
		close(lf);
	return rc;
}

static void read_error(struct reader *r, const char *path, const char *why)
{
	struct mbox_msg m = { .source = path, .error = why };

	deliver(r, &m);
}

static int name_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	/* MH: numbers in numeric order; Maildir names by time: as strings. */
	char *ex, *ey;
	long nx = strtol(x, &ex, 10), ny = strtol(y, &ey, 10);
	if (*ex == '\0' && *ey == '\0' && ex != x && ey != y)
		return nx < ny ? -1 : nx > ny;
	return strcmp(x, y);
}

/* The regular files of dir, sorted; dot files and MH's own files skipped. */
static char **list_dir(const char *dir, size_t *count, char ***subdirs, size_t *nsub)
{
	DIR *d = opendir(dir);
	char **v = NULL;
	size_t n = 0, cap = 0;

	*count = 0;
	if (nsub != NULL)
		*nsub = 0;
	if (d == NULL)
		return NULL;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *full = xasprintf("%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (subdirs != NULL) {
				*subdirs = xrealloc(*subdirs, (*nsub + 1) * sizeof(char *));
				(*subdirs)[(*nsub)++] = xstrdup(e->d_name);
			}
		} else if (e->d_name[0] != '.' && strcmp(e->d_name, ".mh_sequences") != 0) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				v = xrealloc(v, cap * sizeof(char *));
			}
			v[n++] = xstrdup(e->d_name);
		}
		free(full);
	}
	closedir(d);
	if (n > 0)
		util_sort(v, n, sizeof(char *), name_cmp);
	if (subdirs != NULL && *nsub > 0)
		util_sort(*subdirs, *nsub, sizeof(char *), name_cmp);
	*count = n;
	return v;
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Each file of dir as one message. */
static void read_files_of(struct reader *r, const char *dir)
{
	size_t n;
	errno = 0;
	char **names = list_dir(dir, &n, NULL, NULL);
	char err[512];

	if (names == NULL && errno != 0 && errno != ENOENT) {
		/* a Maildir's cur/ or new/ may be missing; unreadable is an error */
		snprintf(err, sizeof(err), "%s: %s", dir, strerror(errno));
		read_error(r, dir, err);
		return;
	}
	for (size_t i = 0; i < n && r->stop == 0; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		/* not blocking: a FIFO among the files must not hold the reading
		 * (it is refused as not a regular file) */
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			snprintf(err, sizeof(err), "%s: %s", path, strerror(errno));
			read_error(r, path, err);
		} else {
			if (read_file(r, path, fd, true, err, sizeof(err)) != 0)
				read_error(r, path, err);
			close(fd);
		}
		free(path);
	}
	free_names(names, n);
}

/* Whether dir was read before (a symlink back into the tree); marks it read. */
static bool seen_before(struct reader *r, const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return false;
	for (size_t i = 0; i < r->nseen; i++)
		if (r->seen[i].st_dev == st.st_dev && r->seen[i].st_ino == st.st_ino)
			return true;
	r->seen = xrealloc(r->seen, (r->nseen + 1) * sizeof(*r->seen));
	r->seen[r->nseen++] = st;
	return false;
}

static void read_maildir(struct reader *r, const char *dir)
{
	if (seen_before(r, dir))
		return;
	char *cur = xasprintf("%s/cur", dir), *new = xasprintf("%s/new", dir);

	read_files_of(r, cur);
	read_files_of(r, new);
	free(cur);
	free(new);
	if (r->o == NULL || !r->o->recursive)
		return;
	/* Maildir++ subfolders (".Sent", ".Lists.abuse") and plain Maildirs below. */
	size_t nf, nsub;
	char **subs = NULL;
	char **files = list_dir(dir, &nf, &subs, &nsub);
	free_names(files, nf);
	for (size_t i = 0; i < nsub && r->stop == 0; i++) {
		if (strcmp(subs[i], "cur") == 0 || strcmp(subs[i], "new") == 0 || strcmp(subs[i], "tmp") == 0)
			continue;
		char *sub = xasprintf("%s/%s", dir, subs[i]);
		char *scur = xasprintf("%s/cur", sub), *snew = xasprintf("%s/new", sub);
		if (is_dir(scur) || is_dir(snew))
			read_maildir(r, sub);
		free(scur);
		free(snew);
		free(sub);
	}
	free_names(subs, nsub);
}

/* Standard input to an unlinked temporary file, so it can be mapped. */
static int spool_stdin(char *err, size_t errlen)
{
	int fd = spool_file("standard input", err, errlen);
	char b[65536];
	ssize_t k;

	if (fd < 0)
		return -1;
	while ((k = read(0, b, sizeof(b))) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			errf(err, errlen, EXIT_NOINPUT, "cannot read standard input: %s", strerror(errno));
			close(fd);
			return -1;
		}
		for (ssize_t off = 0; off < k;) {
			ssize_t w = write(fd, b + off, (size_t)(k - off));
			if (w < 0) {
				errf(err, errlen, EXIT_NOINPUT, "cannot spool standard input: %s", strerror(errno));
				close(fd);
				return -1;
			}
			off += w;
		}
	}
	return fd;
}

static uint64_t size_of(const char *path)
{
	struct stat st;

	if (strcmp(path, "-") == 0 || stat(path, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return (uint64_t)st.st_size;
	return 0; /* directories: counted as they are read */
}

int mailbox_read(const char *const *sources, size_t nsources, const struct mbox_opts *o, mbox_fn cb, void *arg,
		 char *err, size_t errlen)
{
	struct reader r = { .o = o, .cb = cb, .arg = arg };
	int rc = 0;

	buf_init(&r.copy);
	for (size_t i = 0; i < nsources; i++)
		r.total += size_of(sources[i]);
	for (size_t i = 0; i < nsources && r.stop == 0 && rc == 0; i++) {
		const char *s = sources[i];
		if (strcmp(s, "-") == 0) {
			int fd = spool_stdin(err, errlen);
			if (fd < 0) {
				rc = EXIT_NOINPUT;
				break;
			}
			rc = read_file(&r, "-", fd, false, err, errlen);
			close(fd);
			continue;
		}
		if (is_dir(s)) {
			DIR *d = opendir(s);
			if (d == NULL) {
				rc = errf(err, errlen, errno == EACCES ? EXIT_NOPERM : EXIT_NOINPUT, "%s: %s", s,
					  strerror(errno));
				break;
			}
			closedir(d);
			char *cur = xasprintf("%s/cur", s), *new = xasprintf("%s/new", s);
			bool maildir = is_dir(cur) || is_dir(new);
			free(cur);
			free(new);
			if (maildir)
				read_maildir(&r, s);
			else
				read_files_of(&r, s);
			continue;
		}
		int fd = open(s, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = errf(err, errlen, errno == EACCES ? EXIT_NOPERM : EXIT_NOINPUT, "%s: %s", s, strerror(errno));
			break;
		}
		rc = read_file(&r, s, fd, false, err, errlen);
		close(fd);
	}
	buf_free(&r.copy);
	free(r.seen);
	return rc != 0 ? rc : 0;
}

struct get_arg {
	struct buf *out;
	bool truncated;
};

static int get_one(void *arg, const struct mbox_msg *m)
{
	struct get_arg *g = arg;

	buf_add(g->out, m->data, m->len);
	g->truncated = m->truncated;
	return 1; /* the first message from the offset is the one */
}

/* One message again, by where mailbox_read said it was. */
int mailbox_get(const char *source, int64_t offset, struct buf *out, char *err, size_t errlen)
{
	int fd = open(source, O_RDONLY | O_CLOEXEC);
	struct get_arg g = { out, false };
	struct reader r = { .cb = get_one, .arg = &g };

	buf_reset(out);
	if (fd < 0)
		return errf(err, errlen, errno == EACCES ? EXIT_NOPERM : EXIT_NOINPUT, "%s: %s", source, strerror(errno));
	const char *p;
	size_t n;
	int lf, rc = map_lf(source, fd, &p, &n, &lf, err, errlen);
	close(fd);
	if (rc != 0)
		return rc;
	buf_init(&r.copy);
	guard_begin(p, n);
	if (offset == 0 && !is_from_line(p, n)) {
		struct mbox_msg m = { .source = source, .data = p, .len = n };
		unquote(&r, &m, -1);
		get_one(&g, &m);
	} else if (offset >= 0 && (size_t)offset < n && is_from_line(p + offset, n - (size_t)offset) &&
		   (offset == 0 || p[offset - 1] == '\n')) {
		split_mbox(&r, source, p + offset, n - (size_t)offset);
	} else {
		rc = errf(err, errlen, EXIT_DATAERR, "%s: no message at offset %lld (the mailbox changed?)", source,
			  (long long)offset);
	}
	int grc = guard_end(source, err, errlen);
	if (rc == 0)
		rc = grc;
	buf_free(&r.copy);
	if (n > 0)
		munmap((void *)p, n);
	if (lf >= 0)
		close(lf);
	return rc;
}
