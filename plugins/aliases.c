/*
 * plugins/aliases.c: the alias database as the MTA sees it. Batch verbs
 * (list, show, expand, who, check, build) and the Aliases tab, over the
 * maps of backend/aliasdb.c: the configured or discovered aliases.db (or
 * the text file where there is no db) and the extra alias-like maps.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plugin.h"

/* ---- where the maps are ---- */

static char *db_path(const struct config *cfg)
{
	if (cfg->aliases.db[0] != '\0')
		return xstrdup(cfg->aliases.db);
	return aliasdb_discover("/etc/mail/sendmail.cf", "/etc/postfix/main.cf");
}

static char *text_path(const struct config *cfg, const char *db)
{
	if (cfg->aliases.text[0] != '\0')
		return xstrdup(cfg->aliases.text);
	size_t n = strlen(db);
	if (n > 3 && strcmp(db + n - 3, ".db") == 0)
		return xstrndup(db, n - 3);
	return xasprintf("%s.txt", db);
}

static bool file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Postfix's postalias marks its dbs with YP_LAST_MODIFIED. */
static bool is_postfix_layout(struct alias_map *m)
{
	return aliasmap_get(m, "YP_LAST_MODIFIED", 16) != NULL;
}

/*
 * Loads the alias map: the db, or the text file when there is no db.
 * Returns 0 or an exit code (message through ctx).
 */
static int load_main(struct ctx *ctx, struct alias_map *m, int wait_ms, char *err, size_t errlen)
{
	const struct config *cfg = ctx_config(ctx);
	char *db = db_path(cfg);
	int rc = aliasdb_snapshot(db, wait_ms, m, err, errlen);

	if (rc == EXIT_NOINPUT) {
		char *text = text_path(cfg, db);
		if (file_exists(text))
			rc = aliastext_load(text, false, m, err, errlen);
		free(text);
	}
	free(db);
	return rc;
}

/* The extra maps of [aliases] maps: "class:path" or a path, ".db" added where missing. */
static size_t load_extra(struct ctx *ctx, struct alias_map ***out)
{
	const char *spec = ctx_config(ctx)->aliases.maps;
	struct alias_map **maps = NULL;
	size_t n = 0;
	char err[512];

	for (const char *p = spec; *p != '\0';) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		size_t len = strcspn(p, ", \t");
		if (len == 0)
			break;
		char *item = xstrndup(p, len);
		p += len;
		char *path = strchr(item, ':') != NULL && item[0] != '/' ? strchr(item, ':') + 1 : item;
		size_t pl = strlen(path);
		char *file = pl > 3 && strcmp(path + pl - 3, ".db") == 0 ? xstrdup(path) : xasprintf("%s.db", path);
		struct alias_map *m = xcalloc(1, sizeof(*m));
		aliasmap_init(m);
		int rc = aliasdb_snapshot(file, ctx_config(ctx)->aliases.lock_wait_ms, m, err, sizeof(err));
		if (rc != 0) {
			ctx_warn(ctx, "%s", err);
			aliasmap_free(m);
			free(m);
		} else {
			maps = xrealloc(maps, (n + 1) * sizeof(*maps));
			maps[n++] = m;
		}
		free(file);
		free(item);
	}
	*out = maps;
	return n;
}

static void free_extra(struct alias_map **maps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		aliasmap_free(maps[i]);
		free(maps[i]);
	}
	free(maps);
}

/* ---- list ---- */

static const struct column kv_columns[] = {
	{ "key", "Alias", COL_TEXT, 24 },
	{ "value", "Value", COL_TEXT, 0 },
};

struct list_state {
	struct ctx *ctx;
	const char *glob;
	bool all, raw, text;
	struct buf out;
	struct buf key;
	long rows;
};

static void list_flush(struct list_state *ls)
{
	if (ls->out.len > 0)
		out_raw(ls->ctx, ls->out.data, ls->out.len);
	buf_reset(&ls->out);
}

static int list_cb(void *arg, const char *k, size_t klen, const char *v, size_t vlen)
{
	struct list_state *ls = arg;

	if (!ls->all && aliasmap_is_meta(k, klen))
		return 0;
	if (ls->glob != NULL) {
		buf_reset(&ls->key);
		buf_add(&ls->key, k, klen);
		if (fnmatch(ls->glob, ls->key.data, FNM_CASEFOLD) != 0)
			return 0;
	}
	ls->rows++;
	if (ls->text) {
		/* praliases -f: "key:value", in cursor order. */
		if (ls->raw) {
			buf_add(&ls->out, k, klen);
			buf_addc(&ls->out, ':');
			buf_add(&ls->out, v, vlen);
		} else {
			sanitize_buf(&ls->out, k, klen, SAN_TEXT);
			buf_addc(&ls->out, ':');
			sanitize_buf(&ls->out, v, vlen, SAN_TEXT);
		}
		buf_addc(&ls->out, '\n');
		if (ls->out.len >= 1 << 16)
			list_flush(ls);
		return 0;
	}
	struct cell cells[2] = { cell_bytes(k, klen), cell_bytes(v, vlen) };
	out_row(ls->ctx, cells);
	return 0;
}

static int list_text_map(struct list_state *ls, struct alias_map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct alias_ent *e = &m->ents[i];
		list_cb(ls, aliasmap_key(m, e), e->klen, aliasmap_val(m, e), e->vlen);
	}
	return 0;
}

static int cmd_list(struct ctx *ctx, int argc, char **argv)
{
	const struct config *cfg = ctx_config(ctx);
	struct list_state ls = {
		.ctx = ctx,
		.glob = argc > 0 ? argv[0] : NULL,
		.all = ctx_flag(ctx, "--all"),
		.raw = ctx_flag(ctx, "--raw"),
		.text = ctx_format(ctx) == FORMAT_TEXT,
	};
	char err[512];
	char *db = db_path(cfg);
	int rc;

	if (ls.raw && !ls.text) {
		free(db);
		return ctx_error(ctx, EXIT_USAGE, "--raw is for the text format (praliases's key:value)");
	}
	buf_init(&ls.out);
	buf_init(&ls.key);
	if (!ls.text)
		out_begin(ctx, kv_columns, 2);
	rc = aliasdb_scan(db, cfg->aliases.lock_wait_ms, list_cb, &ls, NULL, err, sizeof(err));
	if (rc == EXIT_NOINPUT) {
		/* No db: the text file is what the MTA would build it from. */
		char *text = text_path(cfg, db);
		struct alias_map m;
		aliasmap_init(&m);
		if (file_exists(text) && aliastext_load(text, false, &m, err, sizeof(err)) == 0)
			rc = list_text_map(&ls, &m);
		aliasmap_free(&m);
		free(text);
	}
	list_flush(&ls);
	if (!ls.text)
		out_end(ctx);
	buf_free(&ls.out);
	buf_free(&ls.key);
	free(db);
	if (rc != 0)
		return ctx_error(ctx, rc, "%s", err);
	return EXIT_OK;
}

/* ---- show ---- */

static int cmd_show(struct ctx *ctx, int argc, char **argv)
{
	const struct config *cfg = ctx_config(ctx);
	char *db = db_path(cfg);
	char err[512];
	char *val = NULL;
	size_t vlen = 0;
	int code = 0;
	const char *name = argv[0];
	int found;

	(void)argc;
	found = aliasdb_get(db, cfg->aliases.lock_wait_ms, name, strlen(name), &val, &vlen, &code, err, sizeof(err));
	if (found < 0 && code == EXIT_NOINPUT) {
		/* Hosts with only a text file. */
		struct alias_map m;
		char *text = text_path(cfg, db);
		aliasmap_init(&m);
		if (file_exists(text) && aliastext_load(text, false, &m, err, sizeof(err)) == 0) {
			const struct alias_ent *e = aliasmap_lookup(&m, name, strlen(name));
			found = e != NULL;
			if (e != NULL) {
				val = xstrndup(aliasmap_val(&m, e), e->vlen);
				vlen = e->vlen;
			}
		}
		aliasmap_free(&m);
		free(text);
	}
	if (found == 0) {
		/* The extra maps (virtual_alias_maps, virtusertable). */
		struct alias_map **extra;
		size_t nextra = load_extra(ctx, &extra);
		for (size_t i = 0; i < nextra && found == 0; i++) {
			const struct alias_ent *e = aliasmap_lookup(extra[i], name, strlen(name));
			if (e != NULL) {
				val = xstrndup(aliasmap_val(extra[i], e), e->vlen);
				vlen = e->vlen;
				found = 1;
			}
		}
		free_extra(extra, nextra);
	}
	free(db);
	if (found < 0)
		return ctx_error(ctx, code, "%s", err);
	if (found == 0)
		return ctx_error(ctx, EXIT_NEGATIVE, "%s: no such alias", name);
	char *key = xstrdup(name);
	for (char *p = key; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	if (ctx_format(ctx) == FORMAT_TEXT) {
		struct buf b;
		buf_init(&b);
		buf_adds(&b, key);
		buf_addc(&b, ':');
		buf_add(&b, val, vlen);
		out_line(ctx, b.data, b.len);
		buf_free(&b);
	} else {
		struct cell cells[2] = { cell_str(key), cell_bytes(val, vlen) };
		out_begin(ctx, kv_columns, 2);
		out_row(ctx, cells);
		out_end(ctx);
	}
	free(key);
	free(val);
	return EXIT_OK;
}

/* ---- expand ---- */

static const struct column tree_columns[] = {
	{ "depth", "Depth", COL_INT, 5 },
	{ "kind", "Kind", COL_TEXT, 8 },
	{ "address", "Address", COL_TEXT, 0 },
	{ "fault", "Fault", COL_TEXT, 15 },
	{ "note", "Note", COL_TEXT, 0 },
	{ "duplicate", "Dup", COL_BOOL, 4 },
};

/* The tree as people read it: indented, kind in brackets, notes after. */
static void tree_text(struct buf *b, const struct alias_tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct alias_node *n = &t->nodes[i];

		for (int d = 0; d < n->depth; d++)
			buf_adds(b, "  ");
		buf_adds(b, n->addr);
		buf_addf(b, "  [%s]", alias_kind_name(n->kind));
		if (n->duplicate)
			buf_adds(b, " (duplicate, delivered once)");
		if (n->note != NULL)
			buf_addf(b, "  %s%s", n->fault != AF_NONE ? "!! " : "", n->note);
		buf_addc(b, '\n');
	}
}

static void env_init(struct alias_env *env, struct ctx *ctx, struct alias_map *m)
{
	memset(env, 0, sizeof(*env));
	env->map = m;
	env->local_domains = ctx_config(ctx)->aliases.local_domains;
}

static int cmd_expand(struct ctx *ctx, int argc, char **argv)
{
	struct alias_map m;
	struct alias_env env;
	struct alias_tree t = { 0 };
	char err[512];
	int rc;

	(void)argc;
	aliasmap_init(&m);
	rc = load_main(ctx, &m, ctx_config(ctx)->aliases.lock_wait_ms, err, sizeof(err));
	if (rc != 0) {
		aliasmap_free(&m);
		return ctx_error(ctx, rc, "%s", err);
	}
	env_init(&env, ctx, &m);
	env.nextra = load_extra(ctx, &env.extra);
	alias_expand(&env, argv[0], &t);
	if (ctx_format(ctx) == FORMAT_TEXT) {
		struct buf b;
		buf_init(&b);
		tree_text(&b, &t);
		/* one sanitised line per node */
		for (char *p = b.data; p != NULL && *p != '\0';) {
			char *nl = strchr(p, '\n');
			out_line(ctx, p, (size_t)(nl - p));
			p = nl + 1;
		}
		buf_free(&b);
	} else {
		out_begin(ctx, tree_columns, 6);
		for (size_t i = 0; i < t.n; i++) {
			const struct alias_node *n = &t.nodes[i];
			const char *fault = alias_fault_name(n->fault);
			struct cell cells[6] = {
				cell_num(n->depth),
				cell_str(alias_kind_name(n->kind)),
				cell_str(n->addr),
				cell_role(cell_str(fault), fault != NULL ? ROLE_FAIL : ROLE_NORMAL),
				cell_str(n->note),
				cell_num(n->duplicate),
			};
			cells[3].null = fault == NULL;
			cells[4].null = n->note == NULL;
			out_row(ctx, cells);
		}
		out_end(ctx);
	}
	/* As sendmail -bv: positive only when every leaf can be delivered to. */
	rc = alias_tree_deliverable(&t) ? EXIT_OK : EXIT_NEGATIVE;
	alias_tree_free(&t);
	free_extra(env.extra, env.nextra);
	alias_env_free(&env);
	aliasmap_free(&m);
	return rc;
}

/* ---- who ---- */

static const struct column who_columns[] = {
	{ "alias", "Alias", COL_TEXT, 24 },
	{ "depth", "Depth", COL_INT, 5 },
	{ "path", "Path", COL_TEXT, 0 },
};

static void who_text(struct buf *b, struct alias_who *w, size_t n, const char *target)
{
	if (n == 0)
		buf_addf(b, "No alias reaches %s.\n", target);
	for (size_t i = 0; i < n; i++)
		buf_addf(b, "%s\n", w[i].path);
}

static int cmd_who(struct ctx *ctx, int argc, char **argv)
{
	struct alias_map m;
	struct alias_env env;
	struct alias_who *w;
	char err[512];
	int rc;

	(void)argc;
	aliasmap_init(&m);
	rc = load_main(ctx, &m, ctx_config(ctx)->aliases.lock_wait_ms, err, sizeof(err));
	if (rc != 0) {
		aliasmap_free(&m);
		return ctx_error(ctx, rc, "%s", err);
	}
	env_init(&env, ctx, &m);
	env.nextra = load_extra(ctx, &env.extra);
	size_t n = alias_who(&env, argv[0], &w);
	out_begin(ctx, who_columns, 3);
	for (size_t i = 0; i < n; i++) {
		struct cell cells[3] = { cell_str(w[i].alias), cell_num(w[i].depth), cell_str(w[i].path) };
		out_row(ctx, cells);
	}
	out_end(ctx);
	alias_who_free(w, n);
	free_extra(env.extra, env.nextra);
	alias_env_free(&env);
	aliasmap_free(&m);
	if (n == 0)
		return ctx_error(ctx, EXIT_NEGATIVE, "no alias reaches %s", argv[0]);
	return EXIT_OK;
}

/* ---- check ---- */

static const struct column check_columns[] = {
	{ "severity", "Sev", COL_TEXT, 5 },
	{ "check", "Check", COL_TEXT, 14 },
	{ "key", "Alias", COL_TEXT, 20 },
	{ "line", "Line", COL_INT, 5 },
	{ "detail", "Detail", COL_TEXT, 0 },
};

struct finding {
	const char *severity, *check;
	char *key;
	uint32_t line;
	char *detail;
};

struct findings {
	struct finding *f;
	size_t n;
};

static void found(struct findings *fs, const char *sev, const char *check, const char *key, size_t klen,
		  uint32_t line, const char *detail)
{
	fs->f = xrealloc(fs->f, (fs->n + 1) * sizeof(*fs->f));
	fs->f[fs->n++] = (struct finding){ sev, check, key != NULL ? xstrndup(key, klen) : NULL, line,
					   xstrdup(detail) };
}

static void findings_free(struct findings *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		free(fs->f[i].key);
		free(fs->f[i].detail);
	}
	free(fs->f);
}

/* Everything check reports, for the verb and the tab alike. Returns 0 or an exit code. */
static int run_check(struct ctx *ctx, struct findings *fs, char *err, size_t errlen)
{
	const struct config *cfg = ctx_config(ctx);
	char *db = db_path(cfg);
	char *text = text_path(cfg, db);
	struct alias_map dbm, txt;
	bool have_db = false, have_text = false;
	int rc = 0;
	struct stat sdb, stx;

	aliasmap_init(&dbm);
	aliasmap_init(&txt);
	rc = aliasdb_snapshot(db, cfg->aliases.lock_wait_ms, &dbm, err, errlen);
	if (rc == 0)
		have_db = true;
	else if (rc != EXIT_NOINPUT)
		goto out;
	rc = 0;
	if (file_exists(text)) {
		bool postfix = have_db && is_postfix_layout(&dbm);
		if ((rc = aliastext_load(text, postfix, &txt, err, errlen)) != 0)
			goto out;
		have_text = true;
	}
	if (!have_db && !have_text) {
		rc = errf(err, errlen, EXIT_NOINPUT, "%s: no such file (nor %s)", db, text);
		goto out;
	}
	if (have_db && !dbm.has_at)
		found(fs, "warn", "incomplete", NULL, 0, 0,
		      "no @ record: not built by newaliases/postalias, or the build did not complete");
	if (have_db && have_text && stat(db, &sdb) == 0 && stat(text, &stx) == 0 &&
	    (stx.st_mtim.tv_sec > sdb.st_mtim.tv_sec ||
	     (stx.st_mtim.tv_sec == sdb.st_mtim.tv_sec && stx.st_mtim.tv_nsec > sdb.st_mtim.tv_nsec)))
		found(fs, "warn", "out-of-date", NULL, 0, 0, "the text file is newer than the db: run newaliases");
	for (size_t i = 0; i < txt.nproblems; i++)
		found(fs, txt.problems[i].duplicate ? "warn" : "fail", txt.problems[i].duplicate ? "duplicate" : "rejected", NULL,
		      0, txt.problems[i].line, txt.problems[i].msg);
	if (have_db && have_text) {
		for (size_t i = 0; i < txt.n; i++) {
			const struct alias_ent *t = &txt.ents[i];
			const struct alias_ent *d = aliasmap_get(&dbm, aliasmap_key(&txt, t), t->klen);
			if (d == NULL)
				found(fs, "warn", "not-in-db", aliasmap_key(&txt, t), t->klen, t->line,
				      "in the text file, not in the db: run newaliases");
			else if (d->vlen != t->vlen || memcmp(aliasmap_val(&dbm, d), aliasmap_val(&txt, t), t->vlen) != 0)
				found(fs, "warn", "changed", aliasmap_key(&txt, t), t->klen, t->line,
				      "the db has another value: run newaliases");
		}
		for (size_t i = 0; i < dbm.n; i++) {
			const struct alias_ent *d = &dbm.ents[i];
			if (aliasmap_is_meta(aliasmap_key(&dbm, d), d->klen))
				continue;
			if (aliasmap_get(&txt, aliasmap_key(&dbm, d), d->klen) == NULL)
				found(fs, "warn", "not-in-text", aliasmap_key(&dbm, d), d->klen, 0,
				      "in the db, not in the text file");
		}
	}
	/* Expansion problems of every alias: loops, depth, dangling targets,
	 * missing include files, programs that cannot run. */
	struct alias_map *m = have_db ? &dbm : &txt;
	struct alias_env env;
	env_init(&env, ctx, m);
	env.nextra = load_extra(ctx, &env.extra);
	for (size_t i = 0; i < m->n; i++) {
		const struct alias_ent *e = &m->ents[i];
		if (aliasmap_is_meta(aliasmap_key(m, e), e->klen))
			continue;
		char *name = xstrndup(aliasmap_key(m, e), e->klen);
		struct alias_tree t = { 0 };
		alias_expand(&env, name, &t);
		for (size_t k = 0; k < t.n; k++) {
			const struct alias_node *n = &t.nodes[k];
			/* Report a problem once, at the alias that lists it; a
			 * loop or a chain too deep wherever it shows. */
			bool chain = n->fault == AF_LOOP || n->fault == AF_DEPTH;
			if (n->fault == AF_NONE || (n->depth != 1 && !chain))
				continue;
			const char *what = n->fault == AF_UNKNOWN ? "dangling" : alias_fault_name(n->fault);
			char *detail = xasprintf("%s: %s", n->addr, n->note);
			found(fs, "fail", what, name, strlen(name), e->line, detail);
			free(detail);
			if (chain)
				break;
		}
		alias_tree_free(&t);
		free(name);
	}
	free_extra(env.extra, env.nextra);
	alias_env_free(&env);
out:
	aliasmap_free(&dbm);
	aliasmap_free(&txt);
	free(db);
	free(text);
	return rc;
}

static int cmd_check(struct ctx *ctx, int argc, char **argv)
{
	struct findings fs = { 0 };
	char err[512];

	(void)argc;
	(void)argv;
	int rc = run_check(ctx, &fs, err, sizeof(err));
	if (rc != 0) {
		findings_free(&fs);
		return ctx_error(ctx, rc, "%s", err);
	}
	out_begin(ctx, check_columns, 5);
	for (size_t i = 0; i < fs.n; i++) {
		struct cell cells[5] = {
			cell_role(cell_str(fs.f[i].severity), strcmp(fs.f[i].severity, "fail") == 0 ? ROLE_FAIL : ROLE_WARN),
			cell_str(fs.f[i].check),
			cell_str(fs.f[i].key),
			cell_num(fs.f[i].line),
			cell_str(fs.f[i].detail),
		};
		if (fs.f[i].key == NULL)
			cells[2].null = true;
		if (fs.f[i].line == 0)
			cells[3].null = true;
		out_row(ctx, cells);
	}
	out_end(ctx);
	size_t n = fs.n;
	findings_free(&fs);
	return n > 0 ? EXIT_NEGATIVE : EXIT_OK;
}

/* ---- build ---- */

static int cmd_build(struct ctx *ctx, int argc, char **argv)
{
	bool postfix = ctx_flag(ctx, "--postfix");
	const char *text = argv[0];
	char *db = argc > 1 ? xstrdup(argv[1]) : xasprintf("%s.db", text);
	struct alias_map m;
	char err[512];
	int rc;

	aliasmap_init(&m);
	rc = aliastext_load(text, postfix, &m, err, sizeof(err));
	if (rc != 0) {
		aliasmap_free(&m);
		free(db);
		return ctx_error(ctx, rc, "%s", err);
	}
	for (size_t i = 0; i < m.nproblems; i++)
		ctx_warn(ctx, "%s:%u: %s", text, m.problems[i].line, m.problems[i].msg);
	rc = aliasdb_build(&m, db, postfix, err, sizeof(err));
	if (rc != 0) {
		aliasmap_free(&m);
		free(db);
		return ctx_error(ctx, rc, "%s", err);
	}
	static const struct column cols[] = {
		{ "db", "Database", COL_TEXT, 0 },
		{ "aliases", "Aliases", COL_INT, 8 },
		{ "rejected", "Rejected", COL_INT, 8 },
		{ "layout", "Layout", COL_TEXT, 8 },
	};
	size_t rejected = 0;
	for (size_t i = 0; i < m.nproblems; i++)
		if (!m.problems[i].duplicate)
			rejected++;
	struct cell cells[4] = { cell_str(db), cell_num((long long)m.n), cell_num((long long)rejected),
				 cell_str(postfix ? "postfix" : "sendmail") };
	out_begin(ctx, cols, 4);
	out_row(ctx, cells);
	out_end(ctx);
	aliasmap_free(&m);
	free(db);
	return EXIT_OK;
}

/* ---- the Aliases tab ---- */

struct aview {
	struct ctx *ctx;
	char *db;
	struct alias_map map;
	uint32_t *rows; /* entry numbers shown (@ and YP_* hidden) */
	size_t nrows;
	bool loaded;
	bool locked;
	bool postfix;
	char err[512];
	char header[1024];
	int64_t next_try;
	char *cell;
};

static void aview_header(struct aview *v)
{
	struct stat sdb, stx;
	char *text = text_path(ctx_config(v->ctx), v->db);
	bool stale = v->loaded && v->map.type[0] != 't' && stat(v->db, &sdb) == 0 && stat(text, &stx) == 0 &&
		     stx.st_mtim.tv_sec > sdb.st_mtim.tv_sec;

	if (!v->loaded)
		snprintf(v->header, sizeof(v->header), "%s", v->err);
	else
		snprintf(v->header, sizeof(v->header), "%s  %s  %zu aliases  %s%s%s",
			 v->map.path != NULL ? v->map.path : v->db, v->map.type, v->nrows,
			 v->map.type[0] == 't' ? "text file (no db)" : v->map.has_at ? "complete" : "INCOMPLETE (no @ record)",
			 stale ? "  OUT OF DATE (text newer)" : "",
			 v->locked ? "  locked: being rebuilt, showing the last snapshot" : "");
	free(text);
}

/* Takes a snapshot without waiting: the console never blocks on a rebuild. */
static bool aview_load(struct aview *v)
{
	struct alias_map m;
	char err[400];

	aliasmap_init(&m);
	int rc = load_main(v->ctx, &m, 0, err, sizeof(err));
	if (rc != 0) {
		aliasmap_free(&m);
		v->locked = rc == EXIT_TEMPFAIL;
		if (!v->loaded || !v->locked)
			snprintf(v->err, sizeof(v->err), "%s%s", err, v->locked ? " (retrying)" : "");
		aview_header(v);
		return false;
	}
	aliasmap_free(&v->map);
	v->map = m;
	v->loaded = true;
	v->locked = false;
	free(v->rows);
	v->rows = xcalloc(v->map.n + 1, sizeof(uint32_t));
	v->nrows = 0;
	for (size_t i = 0; i < v->map.n; i++)
		if (!aliasmap_is_meta(aliasmap_key(&v->map, &v->map.ents[i]), v->map.ents[i].klen))
			v->rows[v->nrows++] = (uint32_t)i;
	aview_header(v);
	return true;
}

static int aview_open(struct ctx *ctx, void **state, char *err, size_t errlen)
{
	struct aview *v = xcalloc(1, sizeof(*v));

	(void)err;
	(void)errlen;
	v->ctx = ctx;
	v->db = db_path(ctx_config(ctx));
	aliasmap_init(&v->map);
	aview_load(v);
	v->next_try = util_now_ms() + 1000;
	*state = v;
	return 0;
}

static const struct column *aview_columns(void *state, int *n)
{
	(void)state;
	*n = 2;
	return kv_columns;
}

static size_t aview_count(void *state)
{
	return ((struct aview *)state)->nrows;
}

static void aview_row(void *state, size_t i, struct cell *cells)
{
	struct aview *v = state;
	const struct alias_ent *e = &v->map.ents[v->rows[i]];

	cells[0] = cell_role(cell_bytes(aliasmap_key(&v->map, e), e->klen), ROLE_HEAD);
	cells[1] = cell_bytes(aliasmap_val(&v->map, e), e->vlen);
}

static const char *aview_header_cb(void *state)
{
	return ((struct aview *)state)->header;
}

static char *selected_name(struct aview *v, size_t sel)
{
	const struct alias_ent *e = &v->map.ents[v->rows[sel]];
	return xstrndup(aliasmap_key(&v->map, e), e->klen);
}

static char *aview_detail(void *state, size_t i)
{
	struct aview *v = state;
	struct alias_env env;
	struct alias_tree t = { 0 };
	struct buf b;
	char *name = selected_name(v, i);

	env_init(&env, v->ctx, &v->map);
	alias_expand(&env, name, &t);
	alias_env_free(&env);
	buf_init(&b);
	buf_addf(&b, "Expansion of %s (as sendmail -bv walks it):\n\n", name);
	tree_text(&b, &t);
	alias_tree_free(&t);
	free(name);
	return buf_take(&b);
}

static int aview_key(void *state, struct ctx *ctx, int key, size_t sel)
{
	struct aview *v = state;
	struct buf b;

	if (key == 'w' && sel != (size_t)-1) {
		struct alias_env env;
		struct alias_who *w;
		char *name = selected_name(v, sel);
		env_init(&env, ctx, &v->map);
		size_t n = alias_who(&env, name, &w);
		alias_env_free(&env);
		buf_init(&b);
		who_text(&b, w, n, name);
		char *title = xasprintf("who reaches %s", name);
		ctx_pager(ctx, title, b.data, b.len);
		free(title);
		buf_free(&b);
		alias_who_free(w, n);
		free(name);
		return VIEW_USED;
	}
	if (key == 'c') {
		struct findings fs = { 0 };
		char err[512];
		buf_init(&b);
		if (run_check(ctx, &fs, err, sizeof(err)) != 0)
			buf_addf(&b, "check failed: %s\n", err);
		else if (fs.n == 0)
			buf_adds(&b, "No problems found.\n");
		for (size_t i = 0; i < fs.n; i++) {
			buf_addf(&b, "%-4s %-15s %s", fs.f[i].severity, fs.f[i].check, fs.f[i].key ? fs.f[i].key : "-");
			if (fs.f[i].line != 0)
				buf_addf(&b, " (line %u)", fs.f[i].line);
			buf_addf(&b, ": %s\n", fs.f[i].detail);
		}
		ctx_pager(ctx, "aliases check", b.data, b.len);
		buf_free(&b);
		findings_free(&fs);
		return VIEW_USED;
	}
	return VIEW_UNUSED;
}

static bool aview_poll(void *state)
{
	struct aview *v = state;
	int64_t now = util_now_ms();

	if (now < v->next_try)
		return false;
	v->next_try = now + 1000;
	/* Reload when the file changed (in-place rebuild or rename), or retry
	 * while it was locked or missing. */
	if (v->loaded && !v->locked && !aliasdb_changed(&v->map))
		return false;
	return aview_load(v);
}

static void aview_close(void *state)
{
	struct aview *v = state;

	aliasmap_free(&v->map);
	free(v->rows);
	free(v->db);
	free(v);
}

static const struct key_help aview_keys[] = {
	{ "Enter", "expansion tree of the alias" },
	{ "w", "who reaches the selected alias" },
	{ "c", "check the database (loops, dangling targets, db vs text)" },
	{ NULL, NULL },
};

static const struct view aliases_view = {
	.open = aview_open,
	.columns = aview_columns,
	.row_count = aview_count,
	.row = aview_row,
	.header = aview_header_cb,
	.key = aview_key,
	.detail = aview_detail,
	.poll = aview_poll,
	.close = aview_close,
	.keys = aview_keys,
};

/* ---- the plugin ---- */

static const struct opt list_opts[] = {
	{ "--all", 0, NULL, "also show the @ and YP_* records" },
	{ "--raw", 0, NULL, "print the stored bytes unchanged" },
	{ NULL, 0, NULL, NULL },
};

static const struct opt build_opts[] = {
	{ "--postfix", 0, NULL, "write postalias's layout" },
	{ NULL, 0, NULL, NULL },
};

static const struct command commands[] = {
	{ "list", "[GLOB]", "list aliases (praliases-style key:value)", list_opts, 0, 1, cmd_list },
	{ "show", "NAME", "look up one alias as the MTA does", NULL, 1, 1, cmd_show },
	{ "expand", "ADDR", "the expansion tree of an address", NULL, 1, 1, cmd_expand },
	{ "who", "TARGET", "every alias that reaches TARGET", NULL, 1, 1, cmd_who },
	{ "check", "", "loops, dangling targets, db vs text differences", NULL, 0, 0, cmd_check },
	{ "build", "TEXT [DB]", "compile a text aliases file into a db", build_opts, 1, 2, cmd_build },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL },
};

const struct plugin plugin_aliases = {
	.name = "aliases",
	.title = "Aliases",
	.default_verb = "list",
	.summary = "browse, expand, reverse-look-up and check the alias database",
	.commands = commands,
	.view = &aliases_view,
};
