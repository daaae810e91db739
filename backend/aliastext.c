/*
 * backend/aliastext.c: the text aliases file, parsed as newaliases
 * (sendmail's readaliases) or postalias would parse it, so that a diff
 * against the db, a preview of a build, or a host with only a text file
 * all see what the MTA would see. Rejected lines are kept with their line
 * numbers and sendmail's wording.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"

static void problem(struct alias_map *m, uint32_t line, bool dup, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void problem(struct alias_map *m, uint32_t line, bool dup, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	m->problems = xrealloc(m->problems, (m->nproblems + 1) * sizeof(*m->problems));
	m->problems[m->nproblems].line = line;
	m->problems[m->nproblems].duplicate = dup;
	m->problems[m->nproblems].key = NULL;
	m->problems[m->nproblems].msg = buf_take(&b);
	m->nproblems++;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* RFC 5322 atext, for deciding whether quotes around a local part are needed. */
static bool is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL) || ((unsigned char)c >= 0x80);
}

static bool is_dot_atom(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (!is_atext(s[i])) {
			return false;
		}
	}
	return true;
}

/*
 * The alias name as the MTA stores it: trimmed, quotes dropped where the
 * local part does not need them, ASCII lower-cased. Returns false (with
 * why) for a name the MTA would refuse.
 */
static bool canonical_name(const char *s, size_t n, struct buf *out, const char **why)
{
	while (n > 0 && is_space(*s))
		s++, n--;
	while (n > 0 && is_space(s[n - 1]))
		n--;
	buf_reset(out);
	buf_grow(out, n);
	if (n == 0) {
		*why = "illegal alias name";
		return false;
	}
	bool quoted = false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			continue;
		}
		if (s[i] == '"')
			quoted = !quoted;
		else if (s[i] == '@' && !quoted) {
			*why = "cannot alias non-local names";
			return false;
		}
	}
	if (quoted) {
		*why = "illegal alias name";
		return false;
	}
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"' && memchr(s + 1, '"', n - 2) == NULL &&
	    is_dot_atom(s + 1, n - 2)) {
		s++;
		n -= 2;
	}
	for (size_t i = 0; i < n; i++)
		buf_addc(out, (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]));
	return true;
}

/* sendmail's line buffer (BUFSIZ) less the newline and the NUL. */
enum { SENDMAIL_LINE_MAX = 8190 };

/* RFC 822 specials as Postfix's tok822 scanner knows them. */
static bool is_special(char c)
{
	return c != '\0' && strchr("()<>@,;:\\\".[]", c) != NULL;
}

/*
 * What postalias stores: the text scanned into RFC 822 tokens and written
 * back (tok822_scan + tok822_externalize): blanks only between two words
 * (atoms, quoted strings, comments, domain literals), ", " after each
 * comma, backslash escapes resolved, an atom that then holds a special
 * re-quoted as a whole. internal (for keys) leaves strings unquoted.
 */
static void tok822_form(const char *s, size_t n, bool internal, struct buf *out)
{
	struct buf w;
	bool prev_word = false, prev_gt = false;
	size_t i = 0;

	buf_init(&w);
	buf_reset(out);
	buf_grow(out, n);
	while (i < n) {
		char c = s[i];
		bool word = true;

		buf_reset(&w);
		if (is_space(c)) {
			i++;
			continue;
		}
		if (c == '(') {
			int depth = 0;
			for (; i < n; i++) {
				if (s[i] == '\\' && i + 1 < n) {
					buf_add(&w, s + i, 2);
					i++;
					continue;
				}
				buf_addc(&w, s[i]);
				if (s[i] == '(')
					depth++;
				else if (s[i] == ')' && --depth == 0) {
					i++;
					break;
				}
			}
		} else if (c == '"') {
			struct buf q;
			buf_init(&q);
			for (i++; i < n && s[i] != '"'; i++) {
				if (s[i] == '\\' && i + 1 < n)
					i++;
				/* A CR or TAB in a quoted string is stored as a blank. */
				buf_addc(&q, is_space(s[i]) ? ' ' : s[i]);
			}
			i++; /* the closing quote */
			if (internal) {
				buf_add(&w, q.data, q.len);
			} else {
				buf_addc(&w, '"');
				for (size_t k = 0; k < q.len; k++) {
					if (q.data[k] == '"' || q.data[k] == '\\')
						buf_addc(&w, '\\');
					buf_addc(&w, q.data[k]);
				}
				buf_addc(&w, '"');
			}
			buf_free(&q);
		} else if (c == '[') {
			for (; i < n; i++) {
				buf_addc(&w, s[i]);
				if (s[i] == ']') {
					i++;
					break;
				}
			}
		} else if (c != '\\' && is_special(c)) {
			word = false;
			i++;
			buf_addc(&w, c);
			if (c == ',' && !internal)
				buf_addc(&w, ' ');
		} else {
			bool needs_quotes = false;
			for (; i < n && !is_space(s[i]) && (s[i] == '\\' || !is_special(s[i])); i++) {
				if (s[i] == '\\' && i + 1 < n) {
					i++;
					needs_quotes = needs_quotes || is_special(s[i]) || is_space(s[i]);
				} else if (s[i] == '\\') {
					continue;
				}
				buf_addc(&w, s[i]);
			}
			if (needs_quotes && !internal) {
				struct buf q;
				buf_init(&q);
				buf_addc(&q, '"');
				for (size_t k = 0; k < w.len; k++) {
					if (w.data[k] == '"' || w.data[k] == '\\')
						buf_addc(&q, '\\');
					buf_addc(&q, w.data[k]);
				}
				buf_addc(&q, '"');
				buf_reset(&w);
				buf_add(&w, q.data, q.len);
				buf_free(&q);
			}
		}
		/* A blank between two words, and before '<' after a word or
		 * '>' ("Name <a@b>", "<a> <b>"), as tok822_externalize does. */
		if ((word && prev_word) || (!word && c == '<' && (prev_word || prev_gt)))
			buf_addc(out, ' ');
		buf_add(out, w.data, w.len);
		prev_word = word;
		prev_gt = !word && c == '>';
	}
	buf_grow(out, 0);
	buf_free(&w);
}

/* An '@' outside quotes in the name: postalias takes only local names. */
static bool postfix_has_at(const char *s, size_t n)
{
	bool quoted = false;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
		else if (s[i] == '@' && !quoted)
			return true;
	}
	return false;
}

/* Where the name ends for postalias: the first ':' outside quotes, comments and brackets. */
static const char *postfix_colon(const char *s, size_t n)
{
	bool quoted = false;
	int paren = 0, bracket = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		else if (s[i] == '"' && paren == 0)
			quoted = !quoted;
		else if (quoted)
			continue;
		else if (s[i] == '(')
			paren++;
		else if (s[i] == ')' && paren > 0)
			paren--;
		else if (s[i] == '[' && paren == 0)
			bracket = 1;
		else if (s[i] == ']')
			bracket = 0;
		else if (s[i] == ':' && paren == 0 && bracket == 0)
			return s + i;
	}
	return NULL;
}

/* One logical entry (key line plus continuations) has been gathered. */
static void entry(struct alias_map *m, const char *text, size_t len, uint32_t line, bool postfix, struct buf *name,
		  struct buf *val)
{
	const char *colon = postfix ? postfix_colon(text, len) : memchr(text, ':', len);
	const char *why = NULL;

	/* sendmail stops the name at the first ':' (quotes do not protect it). */
	if (colon == NULL) {
		if (postfix)
			problem(m, line, false, "need name:value pair");
		else
			problem(m, line, false, "missing colon");
		return;
	}
	const char *v = colon + 1;
	size_t vn = len - (size_t)(v - text);
	while (vn > 0 && is_space(*v))
		v++, vn--;
	if (postfix) {
		tok822_form(text, (size_t)(colon - text), true, name);
		if (postfix_has_at(text, (size_t)(colon - text))) {
			problem(m, line, false, "name must be local");
			return;
		}
		for (size_t i = 0; i < name->len; i++)
			if (name->data[i] >= 'A' && name->data[i] <= 'Z')
				name->data[i] = (char)(name->data[i] + 32);
		if (name->len == 0 || vn == 0) {
			problem(m, line, false, "need name:value pair");
			return;
		}
		tok822_form(v, vn, false, val);
	} else {
		if (!canonical_name(text, (size_t)(colon - text), name, &why)) {
			problem(m, line, false, "%.40s... %s", text, why);
			return;
		}
		if (vn == 0) {
			problem(m, line, false, "%.40s... missing value for alias", text);
			return;
		}
		buf_reset(val);
		buf_add(val, v, vn);
	}
	const struct alias_ent *old = aliasmap_get(m, name->data, name->len);
	if (old != NULL) {
		if (postfix)
			problem(m, line, true, "duplicate entry: \"%s\"", name->data);
		else
			problem(m, line, true, "%s... Warning: duplicate alias name %s", name->data, name->data);
		m->problems[m->nproblems - 1].key = xstrndup(name->data, name->len);
		if (postfix)
			return;
	}
	aliasmap_put(m, name->data, name->len, val->data, val->len, line);
}

void aliastext_parse(const char *text, size_t len, bool postfix, struct alias_map *m)
{
	struct buf logical, name, val;
	size_t pos = 0;
	uint32_t lineno = 0, entry_line = 0;
	bool have = false, skipping = false;

	buf_init(&logical);
	buf_init(&name);
	buf_init(&val);
	free(m->path);
	m->path = NULL;
	snprintf(m->type, sizeof(m->type), "text");
	while (pos < len) {
		/* One physical line; backslash-newline joins the next one. */
		size_t start = pos;
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;
		uint32_t first_line = ++lineno;
		struct buf phys;

		buf_init(&phys);
		buf_add(&phys, text + start, end - start);
		pos = nl != NULL ? end + 1 : len;
		while (!postfix && phys.len > 0 && phys.data[phys.len - 1] == '\\' && pos < len) {
			phys.len--;
			nl = memchr(text + pos, '\n', len - pos);
			end = nl != NULL ? (size_t)(nl - text) : len;
			buf_add(&phys, text + pos, end - pos);
			pos = nl != NULL ? end + 1 : len;
			lineno++;
		}
		buf_grow(&phys, 0);
		char c = phys.len > 0 ? phys.data[0] : '\0';

		/* sendmail reads into an 8192-byte buffer: a longer line is
		 * rejected, and a NUL ends the line early, losing the next. */
		if (!postfix && (phys.len > SENDMAIL_LINE_MAX || memchr(phys.data, '\0', phys.len) != NULL)) {
			bool nul = memchr(phys.data, '\0', phys.len) != NULL;
			if (have)
				entry(m, logical.data, logical.len, entry_line, postfix, &name, &val);
			have = false;
			problem(m, first_line, false, "alias line too long%s",
				nul ? " (a NUL byte: sendmail drops this line and the next)" : "");
			if (nul && pos < len) {
				nl = memchr(text + pos, '\n', len - pos);
				pos = nl != NULL ? (size_t)(nl - text) + 1 : len;
				lineno++;
			}
			skipping = true;
			buf_free(&phys);
			continue;
		}
		bool blank = phys.len == 0 || (postfix && strspn(phys.data, " \t\r") == phys.len);
		bool comment = c == '#' || (postfix && phys.data[strspn(phys.data, " \t")] == '#');

		if (postfix && (blank || comment)) {
			/* Postfix: comments and blank lines anywhere, even between continuations. */
			buf_free(&phys);
			continue;
		}
		if (c == ' ' || c == '\t') {
			if (have && !postfix && logical.len + phys.len > SENDMAIL_LINE_MAX) {
				problem(m, first_line, false, "alias line too long");
				have = false;
				skipping = true;
			} else if (have) {
				/* A continuation keeps its leading whitespace. */
				buf_add(&logical, phys.data, phys.len);
			} else if (!skipping) {
				if (postfix)
					problem(m, first_line, false, "logical line must not start with whitespace: \"%.*s\"",
						(int)(phys.len > 60 ? 60 : phys.len), phys.data);
				else
					problem(m, first_line, false, "Non-continuation line starts with space");
				skipping = true;
			}
			buf_free(&phys);
			continue;
		}
		if (have) {
			entry(m, logical.data, logical.len, entry_line, postfix, &name, &val);
			have = false;
		}
		if (blank || comment) {
			/* sendmail: the indented lines after a comment belong to
			 * it; after a blank line they are rejected. */
			skipping = comment;
			buf_free(&phys);
			continue;
		}
		skipping = false;
		buf_reset(&logical);
		buf_add(&logical, phys.data, phys.len);
		entry_line = first_line;
		have = true;
		buf_free(&phys);
	}
	if (have)
		entry(m, logical.data, logical.len, entry_line, postfix, &name, &val);
	buf_free(&logical);
	buf_free(&name);
	buf_free(&val);
}

int aliastext_load(const char *path, bool postfix, struct alias_map *m, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not hang us */
	struct stat st;
	struct buf b;
	char chunk[65536];
	ssize_t n;

	if (fd < 0) {
		if (errno == EACCES)
			return aliasdb_perm_error(path, err, errlen);
		return errf(err, errlen, EXIT_NOINPUT, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errf(err, errlen, EXIT_NOINPUT, "%s: not a regular file", path);
	}
	buf_init(&b);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, (size_t)n);
	int rd_errno = errno;
	close(fd);
	if (n < 0) {
		buf_free(&b);
		return errf(err, errlen, EXIT_NOINPUT, "%s: %s", path, strerror(rd_errno));
	}
	aliasmap_free(m);
	aliastext_parse(b.data != NULL ? b.data : "", b.len, postfix, m);
	m->path = xstrdup(path);
	m->dev = (uint64_t)st.st_dev;
	m->ino = (uint64_t)st.st_ino;
	m->size = (uint64_t)st.st_size;
	m->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	buf_free(&b);
	return 0;
}
