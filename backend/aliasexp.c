/*
 * backend/aliasexp.c: what an alias map means. Expansion walks an address
 * the way sendmail -bv does (aliases, :include: files, programs, files,
 * remote addresses, error: targets; loops and depth broken at sendmail's
 * limit, duplicates delivered once); reverse look-up finds every alias that
 * reaches a target, through include files too.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"

const char *alias_kind_name(enum alias_kind k)
{
	static const char *const names[] = { "alias", "user", "include", "program", "file", "remote", "error", "unknown" };

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

const char *alias_fault_name(enum alias_fault f)
{
	static const char *const names[] = { NULL, "loop", "too-deep", "unknown-user", "missing-include", "program" };

	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : NULL;
}

bool alias_tree_deliverable(const struct alias_tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct alias_node *n = &t->nodes[i];
		/* A program that is not executable still counts: sendmail -bv
		 * says "deliverable" and the failure comes at delivery. */
		if ((n->fault != AF_NONE && n->fault != AF_PROGRAM) || n->kind == AK_ERROR)
			return false;
	}
	return t->n > 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The next target of a value from *pos: targets are separated by commas
 * or newlines outside quotes and angle brackets, a backslash escapes the
 * next byte, and spaces around a target are not part of it. Sets [*start,
 * *end) and returns true, or false at the end. No allocation: the reverse
 * index splits every value of a million-entry map.
 */
static bool split_next(const char *v, size_t len, size_t *pos, size_t *start, size_t *end)
{
	while (*pos < len) {
		bool quoted = false;
		int angle = 0;
		size_t i = *pos, a = i;

		for (; i < len; i++) {
			if (v[i] == '\\' && i + 1 < len)
				i++;
			else if (v[i] == '"')
				quoted = !quoted;
			else if (!quoted && v[i] == '<')
				angle++;
			else if (!quoted && v[i] == '>' && angle > 0)
				angle--;
			else if (!quoted && angle == 0 && (v[i] == ',' || v[i] == '\n'))
				break;
		}
		size_t b = i;
		*pos = i + 1;
		while (a < b && is_space(v[a]))
			a++;
		while (b > a && is_space(v[b - 1]))
			b--;
		if (b > a) {
			*start = a;
			*end = b;
			return true;
		}
	}
	return false;
}

size_t alias_split(const char *v, size_t len, char ***targets)
{
	size_t n = 0, cap = 4, pos = 0, a, b;
	char **t = xcalloc(cap, sizeof(char *));

	while (split_next(v, len, &pos, &a, &b)) {
		if (n == cap) {
			cap *= 2;
			t = xrealloc(t, cap * sizeof(char *));
		}
		t[n++] = xstrndup(v + a, b - a);
	}
	*targets = t;
	return n;
}

void alias_targets_free(char **t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i]);
	free(t);
}

static void lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

/* A target with its surrounding quotes and angle brackets taken off. */
static char *unwrap(const char *t)
{
	size_t n = strlen(t);

	if (n >= 2 && t[0] == '<' && t[n - 1] == '>')
		t++, n -= 2;
	if (n >= 2 && t[0] == '"' && t[n - 1] == '"' && (t[1] == '|' || t[1] == '/'))
		t++, n -= 2;
	return xstrndup(t, n);
}

static bool domain_is_local(const char *domain, const char *locals)
{
	size_t dl = strlen(domain);

	if (locals == NULL)
		return false;
	for (const char *p = locals; *p != '\0';) {
		while (*p == ',' || is_space(*p))
			p++;
		size_t n = strcspn(p, ", \t");
		if (n == dl && n > 0 && strncasecmp(p, domain, n) == 0)
			return true;
		p += n;
	}
	return false;
}

void alias_env_free(struct alias_env *env)
{
	if (env->users != NULL) {
		aliasmap_free(env->users);
		free(env->users);
	}
	env->users = NULL;
}

/* getpwnam(name), remembered. */
static bool passwd_has(struct alias_map *cache, const char *name)
{
	size_t n = strlen(name);
	const struct alias_ent *e = aliasmap_get(cache, name, n);

	if (e == NULL) {
		bool yes = getpwnam(name) != NULL;
		aliasmap_add(cache, name, n, yes ? "y" : "n", 1, 0);
		return yes;
	}
	return aliasmap_val(cache, e)[0] == 'y';
}

/* As sendmail's local mailer finds a user: getpwnam() of the name, else
 * of it lower-cased. By name, never by enumerating: LDAP and sssd users
 * are often not listed by getpwent(). */
static bool user_exists(const struct alias_env *cenv, const char *name)
{
	struct alias_env *env = (struct alias_env *)cenv; /* the cache only */

	if (env->users == NULL) {
		env->users = xcalloc(1, sizeof(*env->users));
		aliasmap_init(env->users);
	}
	if (passwd_has(env->users, name))
		return true;
	char *l = xstrdup(name);
	lower(l);
	bool ok = strcmp(l, name) != 0 && passwd_has(env->users, l);
	free(l);
	return ok;
}

/* Looks a local name up in the map, then the extra maps. */
static const struct alias_ent *find(const struct alias_env *env, const char *name, struct alias_map **in)
{
	const struct alias_ent *e;

	if (env->map != NULL && (e = aliasmap_lookup(env->map, name, strlen(name))) != NULL &&
	    !aliasmap_is_meta(name, strlen(name))) {
		*in = env->map;
		return e;
	}
	for (size_t i = 0; i < env->nextra; i++) {
		if ((e = aliasmap_lookup(env->extra[i], name, strlen(name))) != NULL) {
			*in = env->extra[i];
			return e;
		}
	}
	return NULL;
}

static struct alias_node *add_node(struct alias_tree *t, int depth, enum alias_kind kind, const char *addr)
{
	if (t->n == t->cap) {
		t->cap = t->cap != 0 ? t->cap * 2 : 16;
		t->nodes = xrealloc(t->nodes, t->cap * sizeof(*t->nodes));
	}
	struct alias_node *n = &t->nodes[t->n++];
	memset(n, 0, sizeof(*n));
	n->depth = depth;
	n->kind = kind;
	n->addr = xstrdup(addr);
	return n;
}

static void set_note(struct alias_node *n, enum alias_fault fault, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_note(struct alias_node *n, enum alias_fault fault, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b);
	if (n->note != NULL) {
		buf_adds(&b, n->note);
		buf_adds(&b, "; ");
		free(n->note);
	}
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	n->note = buf_take(&b);
	if (n->fault == AF_NONE)
		n->fault = fault;
}

struct walk {
	const struct alias_env *env;
	struct alias_tree *tree;
	char **stack; /* the aliases above, lower-cased, to see a loop */
	int depth;
	/* What was delivered to or expanded already, as "l<leaf>", "a<alias>"
	 * and "i<include file>": sendmail drops a second copy of an address
	 * from its send queue, so a list named twice is expanded once (and a
	 * list naming itself a hundred times costs nothing). */
	struct alias_map seen;
	struct buf scratch;
};

/* True when kind+key was seen before in this walk; records it otherwise. */
static bool seen_before(struct walk *w, char kind, const char *key)
{
	buf_reset(&w->scratch);
	buf_addc(&w->scratch, kind);
	buf_adds(&w->scratch, key);
	if (aliasmap_get(&w->seen, w->scratch.data, w->scratch.len) != NULL)
		return true;
	aliasmap_add(&w->seen, w->scratch.data, w->scratch.len, "", 0, 0);
	return false;
}

static void walk_target(struct walk *w, const char *target, int depth);

static void walk_value(struct walk *w, const char *v, size_t len, int depth)
{
	char **t;
	size_t n = alias_split(v, len, &t);

	for (size_t i = 0; i < n; i++)
		walk_target(w, t[i], depth);
	alias_targets_free(t, n);
}

/* Include files are lists of addresses: kilobytes. More is a wrong path. */
enum { INCLUDE_MAX = 16 * 1024 * 1024 };

/*
 * Reads an :include: file without its '#' lines into b. Only regular files
 * (a FIFO or /dev/zero must not hang a check). Returns 0, or an errno with
 * b empty.
 */
static int read_include(const char *path, struct buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	FILE *f;
	char line[4096];
	bool at_bol = true;

	buf_reset(b);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > INCLUDE_MAX) {
		int e = S_ISDIR(st.st_mode) ? EISDIR : S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		close(fd);
		return e;
	}
	f = fdopen(fd, "r");
	if (f == NULL) {
		close(fd);
		return errno;
	}
	bool skip = false;
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line);
		if (at_bol)
			skip = line[0] == '#';
		if (!skip)
			buf_add(b, line, n);
		at_bol = n > 0 && line[n - 1] == '\n';
	}
	fclose(f);
	return 0;
}

static void walk_include(struct walk *w, struct alias_node *node, const char *path, int depth)
{
	struct buf b;
	int e;

	buf_init(&b);
	e = read_include(path, &b);
	if (e != 0)
		set_note(node, AF_INCLUDE, "Cannot open %s: %s", path,
			 e == EINVAL ? "not a regular file" : strerror(e));
	else
		walk_value(w, b.data != NULL ? b.data : "", b.len, depth);
	buf_free(&b);
}

static void walk_target(struct walk *w, const char *target, int depth)
{
	char *t = unwrap(target);
	struct alias_node *node;

	if (depth > ALIAS_MAX_DEPTH) {
		node = add_node(w->tree, depth, AK_UNKNOWN, t);
		set_note(node, AF_DEPTH, "aliasing/forwarding loop broken (%d aliases deep; %d max)", depth,
			 ALIAS_MAX_DEPTH);
		free(t);
		return;
	}
	if (t[0] == '|') {
		node = add_node(w->tree, depth, AK_PROGRAM, t);
		char *prog = xstrndup(t + 1, strcspn(t + 1, " \t"));
		if (prog[0] == '/' && access(prog, X_OK) != 0)
			set_note(node, AF_PROGRAM, "%s: not executable", prog);
		if (seen_before(w, 'l', t))
			node->duplicate = true;
		free(prog);
	} else if (t[0] == '/') {
		node = add_node(w->tree, depth, AK_FILE, t);
		if (seen_before(w, 'l', t))
			node->duplicate = true;
	} else if (strncasecmp(t, ":include:", 9) == 0) {
		node = add_node(w->tree, depth, AK_INCLUDE, t);
		const char *path = t + 9;
		while (is_space(*path))
			path++;
		if (seen_before(w, 'i', path))
			node->duplicate = true; /* read once per walk */
		else
			walk_include(w, node, path, depth + 1);
	} else if (strncasecmp(t, "error:", 6) == 0 || strncasecmp(t, ":error:", 7) == 0) {
		node = add_node(w->tree, depth, AK_ERROR, t);
	} else {
		bool backslash = t[0] == '\\';
		char *local = xstrdup(backslash ? t + 1 : t);
		char *at = strrchr(local, '@');
		bool remote = false;
		char *vkey = NULL;
		const struct alias_ent *catchall = NULL;
		struct alias_map *catchall_in = NULL;

		/* A whole address may be a key of a virtual map (Postfix
		 * virtual_alias_maps, sendmail's virtusertable): that first,
		 * then the domain's catch-all "@domain". */
		if (at != NULL && !backslash) {
			char *full = xstrdup(local);
			lower(full);
			for (size_t i = 0; i < w->env->nextra && vkey == NULL; i++)
				if (aliasmap_lookup(w->env->extra[i], full, strlen(full)) != NULL)
					vkey = full;
			for (size_t i = 0; i < w->env->nextra && vkey == NULL; i++) {
				const char *dom = strrchr(full, '@');
				if ((catchall = aliasmap_lookup(w->env->extra[i], dom, strlen(dom))) != NULL) {
					catchall_in = w->env->extra[i];
					vkey = full;
				}
			}
			if (vkey == NULL)
				free(full);
		}
		if (at != NULL && vkey == NULL) {
			if (domain_is_local(at + 1, w->env->local_domains))
				*at = '\0';
			else
				remote = true;
		}
		if (remote) {
			node = add_node(w->tree, depth, AK_REMOTE, t);
			char *key = xstrdup(t);
			lower(key);
			if (seen_before(w, 'l', key))
				node->duplicate = true;
			free(key);
			free(local);
			free(t);
			return;
		}
		char *key = vkey != NULL ? vkey : xstrdup(local);
		lower(key);
		struct alias_map *in = NULL;
		/* "a: a, b": a self-reference is delivered to the local
		 * mailbox a, not looped (sendmail's QSELFREF). */
		bool selfref = w->depth > 0 && strcmp(w->stack[w->depth - 1], key) == 0;
		const struct alias_ent *e = backslash || selfref ? NULL
					    : catchall != NULL ? (in = catchall_in, catchall)
							       : find(w->env, key, &in);
		if (e != NULL) {
			node = add_node(w->tree, depth, AK_ALIAS, t);
			if (catchall != NULL)
				set_note(node, AF_NONE, "catch-all %.*s", (int)catchall->klen,
					 aliasmap_key(catchall_in, catchall));
			for (int i = 0; i < w->depth; i++) {
				if (strcmp(w->stack[i], key) == 0) {
					set_note(node, AF_LOOP, "aliasing/forwarding loop broken");
					free(key);
					free(local);
					free(t);
					return;
				}
			}
			if (seen_before(w, 'a', key)) {
				/* Expanded already, elsewhere in the tree. */
				node->duplicate = true;
				free(key);
				free(local);
				free(t);
				return;
			}
			/* owner-X receives X's errors and X-request the requests
			 * to join or leave (sendmail's conventions): beside X. */
			char *owner = xasprintf("owner-%s", key);
			char *request = xasprintf("%s-request", key);
			struct alias_map *oin = NULL;
			const struct alias_ent *oe = find(w->env, owner, &oin);
			if (oe != NULL)
				set_note(node, AF_NONE, "errors to %s: %.*s", owner, (int)oe->vlen, aliasmap_val(oin, oe));
			if ((oe = find(w->env, request, &oin)) != NULL)
				set_note(node, AF_NONE, "requests to %s: %.*s", request, (int)oe->vlen,
					 aliasmap_val(oin, oe));
			free(owner);
			free(request);
			char *val = xstrndup(aliasmap_val(in, e), e->vlen);
			w->stack = xrealloc(w->stack, (size_t)(w->depth + 1) * sizeof(char *));
			w->stack[w->depth++] = key;
			walk_value(w, val, e->vlen, depth + 1);
			free(w->stack[--w->depth]);
			free(val);
		} else {
			bool user = user_exists(w->env, local);
			node = add_node(w->tree, depth, user ? AK_USER : AK_UNKNOWN, t);
			if (selfref)
				set_note(node, AF_NONE, "self-reference: the local mailbox");
			if (!user)
				set_note(node, AF_UNKNOWN, "User unknown");
			if (seen_before(w, 'l', key))
				node->duplicate = true;
			free(key);
		}
		free(local);
	}
	free(t);
}

void alias_expand(const struct alias_env *env, const char *addr, struct alias_tree *out)
{
	struct walk w = { .env = env, .tree = out };

	aliasmap_init(&w.seen);
	buf_init(&w.scratch);
	walk_target(&w, addr, 0);
	free(w.stack);
	aliasmap_free(&w.seen);
	buf_free(&w.scratch);
}

void alias_tree_free(struct alias_tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->nodes[i].addr);
		free(t->nodes[i].note);
	}
	free(t->nodes);
	memset(t, 0, sizeof(*t));
}

/* ---- reverse look-up ---- */

/* The form a target is matched in, into out: local names and addresses
 * lower-cased, local domains dropped, quotes, brackets and a leading
 * backslash off; programs and files as written. */
static void normalise_into(const struct alias_env *env, const char *t, size_t n, struct buf *out)
{
	buf_reset(out);
	if (n >= 2 && t[0] == '<' && t[n - 1] == '>')
		t++, n -= 2;
	if (n >= 2 && t[0] == '"' && t[n - 1] == '"' && (t[1] == '|' || t[1] == '/'))
		t++, n -= 2;
	if (n > 0 && (t[0] == '|' || t[0] == '/')) {
		buf_add(out, t, n);
		buf_grow(out, 0);
		return;
	}
	if (n > 0 && t[0] == '\\')
		t++, n--;
	for (size_t i = 0; i < n; i++)
		buf_addc(out, (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] + 32 : t[i]));
	buf_grow(out, 0);
	char *at = memrchr(out->data, '@', out->len);
	if (at != NULL && domain_is_local(at + 1, env->local_domains)) {
		out->len = (size_t)(at - out->data);
		out->data[out->len] = '\0';
	}
}

/* One edge: some target whose normalised form hashes to hash is listed by
 * entry ent of map, in its value or (chain != 0) in the include file at the
 * end of chain. Only the hash is kept (16 bytes an edge): a hit is confirmed
 * by splitting the value or the file again and comparing the strings. */
struct redge {
	uint64_t hash;
	uint32_t ent;
	uint32_t chain : 26;  /* entry + 1 of chains, or 0 */
	uint32_t map : 5;
	uint32_t literal : 1; /* "\\name": delivered to the mailbox, not through the alias */
};

struct alias_rindex {
	struct redge *e;
	size_t n, cap;
	uint32_t *heads; /* bucket -> first edge + 1 (chained through next) */
	uint32_t *next;  /* edge -> next edge in its bucket + 1 */
	size_t mask;
	struct alias_map includes; /* path -> contents */
	/* ":include:A -> :include:B" (as a path shows it) -> B, the file whose
	 * lines the edge comes from */
	struct alias_map chains;
	struct alias_map *maps[17];
	size_t nmaps;
};

static uint64_t fnv(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void redge_add(struct alias_rindex *ix, uint64_t h, size_t ent, size_t map, uint32_t chain, bool literal)
{
	if (ix->n == ix->cap) {
		ix->cap = ix->cap != 0 ? ix->cap * 2 : 4096;
		ix->e = xrealloc(ix->e, ix->cap * sizeof(*ix->e));
	}
	ix->e[ix->n++] = (struct redge){ .hash = h,
					 .ent = (uint32_t)ent,
					 .chain = chain & ((1u << 26) - 1),
					 .map = (uint32_t)map,
					 .literal = literal };
}

/* The chain of include files as a path shows it, interned: its entry + 1. */
static uint32_t chain_id(struct alias_rindex *ix, const char **chain, int nchain)
{
	struct buf b;
	const struct alias_ent *e;

	buf_init(&b);
	for (int i = 0; i < nchain; i++)
		buf_addf(&b, "%s:include:%s", i > 0 ? " -> " : "", chain[i]);
	e = aliasmap_get(&ix->chains, b.data, b.len);
	if (e == NULL) {
		const char *last = chain[nchain - 1];
		aliasmap_add(&ix->chains, b.data, b.len, last, strlen(last), 0);
		e = &ix->chains.ents[ix->chains.n - 1];
	}
	buf_free(&b);
	return (uint32_t)(e - ix->chains.ents) + 1;
}

/* Include files are read once per index, whatever lists them. */
static const char *include_text(struct alias_rindex *ix, const char *path, size_t *len)
{
	const struct alias_ent *e = aliasmap_get(&ix->includes, path, strlen(path));
	struct buf b;

	if (e == NULL) {
		buf_init(&b);
		if (read_include(path, &b) != 0)
			buf_reset(&b);
		aliasmap_add(&ix->includes, path, strlen(path), b.data != NULL ? b.data : "", b.len, 0);
		buf_free(&b);
		e = aliasmap_get(&ix->includes, path, strlen(path));
	}
	*len = e->vlen;
	return aliasmap_val(&ix->includes, e);
}

/* chain: the include files above this value, so a file including itself
 * (or a cycle of them) ends; as deep as expansion goes. */
static void index_value(const struct alias_env *env, struct alias_rindex *ix, size_t map, size_t ent, const char *v,
			size_t len, struct buf *scratch, const char **chain, int nchain)
{
	size_t pos = 0, a, b;
	uint32_t cid = nchain > 0 ? chain_id(ix, chain, nchain) : 0;

	while (split_next(v, len, &pos, &a, &b)) {
		const char *t = v + a;
		size_t n = b - a;

		normalise_into(env, t, n, scratch);
		/* "\user" is the mailbox, not the alias of that name: who
		 * follows it only from the target itself. */
		bool literal = (n > 0 && t[0] == '\\') || (n > 1 && t[0] == '<' && t[1] == '\\');
		redge_add(ix, fnv(scratch->data, scratch->len), ent, map, cid, literal);
		/* Members of an include file are reached through the alias too. */
		if (n >= 2 && t[0] == '<' && t[n - 1] == '>')
			t++, n -= 2;
		if (n > 9 && strncasecmp(t, ":include:", 9) == 0 && nchain < ALIAS_MAX_DEPTH) {
			char *path = xstrndup(t + 9, n - 9);
			const char *p = path;
			bool again = false;

			while (is_space(*p))
				p++;
			for (int i = 0; i < nchain; i++)
				again = again || strcmp(chain[i], p) == 0;
			if (!again) {
				size_t il;
				const char *inc = include_text(ix, p, &il);
				char *copy = xstrndup(inc, il); /* the cache may move while we recurse */
				chain[nchain] = p;
				index_value(env, ix, map, ent, copy, il, scratch, chain, nchain + 1);
				free(copy);
			}
			free(path);
		}
	}
}

struct alias_rindex *alias_rindex_build(const struct alias_env *env)
{
	struct alias_rindex *ix = xcalloc(1, sizeof(*ix));
	struct buf scratch;

	buf_init(&scratch);
	if (env->map != NULL)
		ix->maps[ix->nmaps++] = env->map;
	for (size_t i = 0; i < env->nextra && ix->nmaps < 17; i++)
		ix->maps[ix->nmaps++] = env->extra[i];
	for (size_t m = 0; m < ix->nmaps; m++) {
		struct alias_map *map = ix->maps[m];
		for (size_t i = 0; i < map->n; i++) {
			const struct alias_ent *e = &map->ents[i];
			if (aliasmap_is_meta(aliasmap_key(map, e), e->klen))
				continue;
			const char *chain[ALIAS_MAX_DEPTH];
			index_value(env, ix, m, i, aliasmap_val(map, e), e->vlen, &scratch, chain, 0);
		}
	}
	/* Chained buckets rather than a sort: built in one pass. */
	size_t size = 1024;
	while (size < ix->n)
		size *= 2;
	ix->mask = size - 1;
	ix->heads = xcalloc(size, sizeof(uint32_t));
	ix->next = xcalloc(ix->n + 1, sizeof(uint32_t));
	for (size_t i = 0; i < ix->n; i++) {
		size_t bkt = ix->e[i].hash & ix->mask;
		ix->next[i] = ix->heads[bkt];
		ix->heads[bkt] = (uint32_t)i + 1;
	}
	buf_free(&scratch);
	return ix;
}

void alias_rindex_free(struct alias_rindex *ix)
{
	if (ix == NULL)
		return;
	free(ix->e);
	free(ix->heads);
	free(ix->next);
	aliasmap_free(&ix->includes);
	aliasmap_free(&ix->chains);
	free(ix);
}

/* True when the value (or include file) of the edge really lists name, in
 * its normalised form: the edge itself keeps only a hash. */
static bool edge_lists(const struct alias_env *env, const struct alias_rindex *ix, const struct redge *hit,
		       const char *name, struct buf *scratch)
{
	const char *v;
	size_t len, pos = 0, a, b, nl = strlen(name);

	if (hit->chain != 0) {
		const struct alias_ent *c = &ix->chains.ents[hit->chain - 1];
		const struct alias_ent *f = aliasmap_get((struct alias_map *)&ix->includes, aliasmap_val(&ix->chains, c),
							 c->vlen);
		if (f == NULL)
			return false;
		v = aliasmap_val(&ix->includes, f);
		len = f->vlen;
	} else {
		const struct alias_map *m = ix->maps[hit->map];
		const struct alias_ent *e = &m->ents[hit->ent];
		v = aliasmap_val(m, e);
		len = e->vlen;
	}
	while (split_next(v, len, &pos, &a, &b)) {
		normalise_into(env, v + a, b - a, scratch);
		if (scratch->len == nl && memcmp(scratch->data, name, nl) == 0)
			return true;
	}
	return false;
}

static int who_cmp(const void *a, const void *b)
{
	const struct alias_who *x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth - y->depth;
	return strcmp(x->alias, y->alias);
}

size_t alias_who_indexed(const struct alias_env *env, const struct alias_rindex *ix, const char *target,
			 struct alias_who **out)
{
	struct alias_who *res = NULL;
	size_t nres = 0, capres = 0, head = 0, nq = 1;
	struct buf key;
	/* The breadth-first queue: names (normalised), their paths, depths. */
	char **queue = xcalloc(1, sizeof(char *));
	char **paths = xcalloc(1, sizeof(char *));
	int *depths = xcalloc(1, sizeof(int));
	/* Aliases already reported, as "map:entry" bits. */
	struct alias_map seen;

	aliasmap_init(&seen);
	buf_init(&key);
	normalise_into(env, target, strlen(target), &key);
	queue[0] = xstrdup(key.data);
	paths[0] = xstrdup(target);
	while (head < nq) {
		uint64_t h = fnv(queue[head], strlen(queue[head]));
		for (uint32_t k = ix->heads[h & ix->mask]; k != 0; k = ix->next[k - 1]) {
			const struct redge *hit = &ix->e[k - 1];
			if (hit->hash != h || (hit->literal && head > 0))
				continue;
			const struct alias_map *m = ix->maps[hit->map];
			const struct alias_ent *e = &m->ents[hit->ent];
			const char *via = NULL;
			if (hit->chain != 0)
				via = aliasmap_key(&ix->chains, &ix->chains.ents[hit->chain - 1]);
			if (!edge_lists(env, ix, hit, queue[head], &key))
				continue; /* another target with the same hash */
			char tag[24];
			int tl = snprintf(tag, sizeof(tag), "%u:%u", hit->map, hit->ent);

			if (aliasmap_get(&seen, tag, (size_t)tl) != NULL || depths[head] >= ALIAS_MAX_DEPTH)
				continue;
			aliasmap_add(&seen, tag, (size_t)tl, "", 0, 0);
			if (nres == capres) {
				capres = capres != 0 ? capres * 2 : 16;
				res = xrealloc(res, capres * sizeof(*res));
			}
			res[nres].alias = xstrndup(aliasmap_key(m, e), e->klen);
			res[nres].path = via != NULL ? xasprintf("%s -> %s -> %s", res[nres].alias, via, paths[head])
						     : xasprintf("%s -> %s", res[nres].alias, paths[head]);
			res[nres].depth = depths[head] + 1;
			queue = xrealloc(queue, (nq + 1) * sizeof(char *));
			paths = xrealloc(paths, (nq + 1) * sizeof(char *));
			depths = xrealloc(depths, (nq + 1) * sizeof(int));
			normalise_into(env, res[nres].alias, strlen(res[nres].alias), &key);
			queue[nq] = xstrdup(key.data);
			paths[nq] = xstrdup(res[nres].path);
			depths[nq] = res[nres].depth;
			nq++;
			nres++;
		}
		head++;
	}
	for (size_t i = 0; i < nq; i++) {
		free(queue[i]);
		free(paths[i]);
	}
	free(queue);
	free(paths);
	free(depths);
	buf_free(&key);
	aliasmap_free(&seen);
	/* Nearest first, then by name: the same answer every time. */
	if (nres > 1)
		util_sort(res, nres, sizeof(*res), who_cmp);
	*out = res;
	return nres;
}

size_t alias_who(const struct alias_env *env, const char *target, struct alias_who **out)
{
	struct alias_rindex *ix = alias_rindex_build(env);
	size_t n = alias_who_indexed(env, ix, target, out);

	alias_rindex_free(ix);
	return n;
}

void alias_who_free(struct alias_who *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(w[i].alias);
		free(w[i].path);
	}
	free(w);
}
