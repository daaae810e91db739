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

/* How long to wait for a rebuild's lock: the configured time in batch
 * mode, not at all in the console (whose loop must keep running). */
static int lock_wait(struct ctx *ctx)
{
	return ctx_console(ctx) ? 0 : ctx_config(ctx)->aliases.lock_wait_ms;
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
		int rc = aliasdb_snapshot(file, lock_wait(ctx), m, err, sizeof(err));
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
	{ "key", "Alias", COL_TEXT, 24, 0 },
	{ "value", "Value", COL_TEXT, 0, 0 },
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

static int list_cb(void *arg, const char *k, size_t klen, const char *v, size_t vlen, bool nul)
{
	struct list_state *ls = arg;

	(void)nul;
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
		/* Kept in memory until the scan is over: a slow reader of our
		 * output (a pager) must not hold the db's lock. */
		buf_addc(&ls->out, '\n');
		return 0;
	}
	struct cell cells[2] = { cell_bytes(k, klen), cell_bytes(v, vlen) };
	out_row(ls->ctx, cells);
	return 0;
}

static void list_map(struct list_state *ls, struct alias_map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct alias_ent *e = &m->ents[i];
		list_cb(ls, aliasmap_key(m, e), e->klen, aliasmap_val(m, e), e->vlen, e->nul);
	}
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
	struct alias_map m;
	aliasmap_init(&m);
	/* Text: one pass, its output held in memory. Rows: a snapshot first,
	 * written after the lock is released. Either way nothing is written
	 * before the read has succeeded: a scan that fails half way prints
	 * no half list. */
	if (ls.text)
		rc = aliasdb_scan(db, lock_wait(ctx), list_cb, &ls, NULL, err, sizeof(err));
	else
		rc = aliasdb_snapshot(db, lock_wait(ctx), &m, err, sizeof(err));
	if (rc == EXIT_NOINPUT) {
		/* No db: the text file is what the MTA would build it from. */
		char *text = text_path(cfg, db);
		if (file_exists(text)) {
			buf_reset(&ls.out);
			ls.rows = 0;
			if ((rc = aliastext_load(text, false, &m, err, sizeof(err))) == 0 && ls.text)
				list_map(&ls, &m);
		}
		free(text);
	}
	if (rc == 0) {
		if (!ls.text) {
			out_begin(ctx, kv_columns, 2);
			list_map(&ls, &m);
			out_end(ctx);
		}
		list_flush(&ls);
	}
	aliasmap_free(&m);
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
	found = aliasdb_get(db, lock_wait(ctx), name, strlen(name), &val, &vlen, &code, err, sizeof(err));
	if (found < 0 && code == EXIT_NOINPUT) {
		/* Hosts with only a text file. */
		struct alias_map m;
		char *text = text_path(cfg, db);
		aliasmap_init(&m);
		if (file_exists(text) && (code = aliastext_load(text, false, &m, err, sizeof(err))) == 0) {
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
	char *key = NULL;
	if (found == 0) {
		/* The extra maps (virtual_alias_maps, virtusertable): the
		 * address, then its domain's catch-all "@domain". */
		struct alias_map **extra;
		size_t nextra = load_extra(ctx, &extra);
		const char *at = strrchr(name, '@');
		for (int pass = 0; pass < (at != NULL && at[1] != '\0' ? 2 : 1) && found == 0; pass++) {
			const char *k = pass == 0 ? name : at;
			for (size_t i = 0; i < nextra && found == 0; i++) {
				const struct alias_ent *e = aliasmap_lookup(extra[i], k, strlen(k));
				if (e != NULL) {
					val = xstrndup(aliasmap_val(extra[i], e), e->vlen);
					vlen = e->vlen;
					found = 1;
					if (pass == 1)
						key = xstrndup(aliasmap_key(extra[i], e), e->klen);
				}
			}
		}
		free_extra(extra, nextra);
	}
	free(db);
	if (found <= 0)
		free(key);
	if (found < 0)
		return ctx_error(ctx, code, "%s", err);
	if (found == 0)
		return ctx_error(ctx, EXIT_NEGATIVE, "%s: no such alias", name);
	if (key == NULL)
		key = xstrdup(name);
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
	{ "depth", "Depth", COL_INT, 5, 0 },
	{ "kind", "Kind", COL_TEXT, 8, 0 },
	{ "address", "Address", COL_TEXT, 0, 0 },
	{ "fault", "Fault", COL_TEXT, 15, 0 },
	{ "note", "Note", COL_TEXT, 0, 0 },
	{ "duplicate", "Dup", COL_BOOL, 4, 0 },
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
	rc = load_main(ctx, &m, lock_wait(ctx), err, sizeof(err));
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
	{ "alias", "Alias", COL_TEXT, 24, 0 },
	{ "depth", "Depth", COL_INT, 5, 0 },
	{ "path", "Path", COL_TEXT, 0, 0 },
};


static int cmd_who(struct ctx *ctx, int argc, char **argv)
{
	struct alias_map m;
	struct alias_env env;
	struct alias_who *w;
	char err[512];
	int rc;

	(void)argc;
	aliasmap_init(&m);
	rc = load_main(ctx, &m, lock_wait(ctx), err, sizeof(err));
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
	{ "severity", "Sev", COL_TEXT, 5, 0 },
	{ "check", "Check", COL_TEXT, 15, 0 },
	{ "key", "Alias", COL_TEXT, 20, 0 },
	{ "line", "Line", COL_INT, 5, 0 },
	{ "detail", "Detail", COL_TEXT, 0, 0 },
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

/*
 * A check, in steps, for the verb and the tab alike: check_begin loads the
 * db and the text file and makes the cheap findings (completeness,
 * freshness, rejected lines, db vs text); each check_step expands up to
 * max aliases looking for loops, chains too deep, dangling targets,
 * missing include files and programs that cannot run. The console runs the
 * steps from a timer, so a million aliases never hold the screen.
 */
struct check_run {
	struct ctx *ctx;
	struct alias_map dbm, txt;
	struct alias_map *m; /* what is expanded: the db, else the text */
	bool have_db, have_text;
	struct alias_env env;
	size_t next;         /* next entry of *m to expand */
	struct findings fs;
};

static void check_free(struct check_run *cr)
{
	free_extra(cr->env.extra, cr->env.nextra);
	alias_env_free(&cr->env);
	aliasmap_free(&cr->dbm);
	aliasmap_free(&cr->txt);
	findings_free(&cr->fs);
	memset(cr, 0, sizeof(*cr));
}

/* True when path a was modified after path b. */
static bool newer(const char *a, const char *b)
{
	struct stat sa, sb;

	if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
		return false;
	return sa.st_mtim.tv_sec > sb.st_mtim.tv_sec ||
	       (sa.st_mtim.tv_sec == sb.st_mtim.tv_sec && sa.st_mtim.tv_nsec > sb.st_mtim.tv_nsec);
}

/* Returns 0 or an exit code with err filled (cr is freed then). */
static int check_begin(struct ctx *ctx, struct check_run *cr, int wait_ms, char *err, size_t errlen)
{
	const struct config *cfg = ctx_config(ctx);
	char *db = db_path(cfg);
	char *text = text_path(cfg, db);
	struct findings *fs = &cr->fs;
	int rc;

	memset(cr, 0, sizeof(*cr));
	cr->ctx = ctx;
	aliasmap_init(&cr->dbm);
	aliasmap_init(&cr->txt);
	rc = aliasdb_snapshot(db, wait_ms, &cr->dbm, err, errlen);
	if (rc == 0)
		cr->have_db = true;
	else if (rc != EXIT_NOINPUT)
		goto fail;
	rc = 0;
	if (file_exists(text)) {
		bool postfix = cr->have_db && aliasmap_is_postfix(&cr->dbm);
		if ((rc = aliastext_load(text, postfix, &cr->txt, err, errlen)) != 0)
			goto fail;
		cr->have_text = true;
	}
	if (!cr->have_db && !cr->have_text) {
		rc = errf(err, errlen, EXIT_NOINPUT, "%s: no such file (nor %s)", db, text);
		goto fail;
	}
	if (cr->have_db && !cr->dbm.has_at)
		found(fs, "warn", "incomplete", NULL, 0, 0,
		      "no @ record: not built by newaliases/postalias, or the build did not complete");
	if (cr->have_db && cr->have_text && newer(text, db))
		found(fs, "warn", "out-of-date", NULL, 0, 0, "the text file is newer than the db: run newaliases");
	for (size_t i = 0; i < cr->txt.nproblems; i++) {
		const struct alias_problem *pr = &cr->txt.problems[i];
		found(fs, pr->duplicate ? "warn" : "fail", pr->duplicate ? "duplicate" : "rejected", pr->key,
		      pr->key != NULL ? strlen(pr->key) : 0, pr->line, pr->msg);
	}
	if (cr->have_db && cr->have_text) {
		struct alias_map *dm = &cr->dbm, *tm = &cr->txt;
		for (size_t i = 0; i < tm->n; i++) {
			const struct alias_ent *t = &tm->ents[i];
			const struct alias_ent *d = aliasmap_get(dm, aliasmap_key(tm, t), t->klen);
			if (d == NULL)
				found(fs, "warn", "not-in-db", aliasmap_key(tm, t), t->klen, t->line,
				      "in the text file, not in the db: run newaliases");
			else if (d->vlen != t->vlen || memcmp(aliasmap_val(dm, d), aliasmap_val(tm, t), t->vlen) != 0)
				found(fs, "warn", "changed", aliasmap_key(tm, t), t->klen, t->line,
				      "the db has another value: run newaliases");
		}
		for (size_t i = 0; i < dm->n; i++) {
			const struct alias_ent *d = &dm->ents[i];
			if (aliasmap_is_meta(aliasmap_key(dm, d), d->klen))
				continue;
			if (aliasmap_get(tm, aliasmap_key(dm, d), d->klen) == NULL)
				found(fs, "warn", "not-in-text", aliasmap_key(dm, d), d->klen, 0,
				      "in the db, not in the text file");
		}
	}
	cr->m = cr->have_db ? &cr->dbm : &cr->txt;
	env_init(&cr->env, ctx, cr->m);
	cr->env.nextra = load_extra(ctx, &cr->env.extra);
	free(db);
	free(text);
	return 0;
fail:
	free(db);
	free(text);
	check_free(cr);
	return rc;
}

/* Expands up to max more aliases; true when every alias has been. */
static bool check_step(struct check_run *cr, size_t max)
{
	struct alias_map *m = cr->m;

	for (size_t done = 0; done < max && cr->next < m->n; done++, cr->next++) {
		const struct alias_ent *e = &m->ents[cr->next];
		if (aliasmap_is_meta(aliasmap_key(m, e), e->klen))
			continue;
		char *name = xstrndup(aliasmap_key(m, e), e->klen);
		struct alias_tree t = { 0 };
		uint32_t line = e->line;
		/* A db entry: point at its line in the text file, where it is fixed. */
		if (line == 0 && cr->have_text) {
			const struct alias_ent *te = aliasmap_get(&cr->txt, name, e->klen);
			line = te != NULL ? te->line : 0;
		}
		alias_expand(&cr->env, name, &t);
		/* kinds[d]: the kind of the node at depth d above the current one. */
		enum alias_kind kinds[ALIAS_MAX_DEPTH + 3];
		for (size_t k = 0; k < t.n; k++) {
			const struct alias_node *n = &t.nodes[k];
			if (n->depth < (int)(sizeof(kinds) / sizeof(kinds[0])))
				kinds[n->depth] = n->kind;
			/* Report a problem once, at the alias that lists it (itself
			 * or through its include files); a loop or a chain too deep
			 * wherever it shows. */
			bool chain = n->fault == AF_LOOP || n->fault == AF_DEPTH;
			bool own = n->depth >= 1;
			for (int d = 1; d < n->depth && own; d++)
				own = kinds[d] == AK_INCLUDE;
			if (n->fault == AF_NONE || (!own && !chain))
				continue;
			const char *what = n->fault == AF_UNKNOWN ? "dangling" : alias_fault_name(n->fault);
			char *detail = xasprintf("%s: %s", n->addr, n->note);
			found(&cr->fs, "fail", what, name, strlen(name), line, detail);
			free(detail);
			if (chain)
				break;
		}
		alias_tree_free(&t);
		free(name);
	}
	return cr->next >= m->n;
}

static void finding_cells(const struct finding *f, struct cell *cells)
{
	cells[0] = cell_role(cell_str(f->severity), strcmp(f->severity, "fail") == 0 ? ROLE_FAIL : ROLE_WARN);
	cells[1] = cell_str(f->check);
	cells[2] = cell_str(f->key);
	cells[2].null = f->key == NULL;
	cells[3] = cell_num(f->line);
	cells[3].null = f->line == 0;
	cells[4] = cell_str(f->detail);
}

static int cmd_check(struct ctx *ctx, int argc, char **argv)
{
	struct check_run cr;
	char err[512];

	(void)argc;
	(void)argv;
	int rc = check_begin(ctx, &cr, lock_wait(ctx), err, sizeof(err));
	if (rc != 0)
		return ctx_error(ctx, rc, "%s", err);
	while (!check_step(&cr, 4096))
		ctx_progress(ctx, "checking: %zu of %zu aliases", cr.next, cr.m->n);
	ctx_progress(ctx, NULL);
	out_begin(ctx, check_columns, 5);
	for (size_t i = 0; i < cr.fs.n; i++) {
		struct cell cells[5];
		finding_cells(&cr.fs.f[i], cells);
		out_row(ctx, cells);
	}
	out_end(ctx);
	size_t n = cr.fs.n;
	check_free(&cr);
	return n > 0 ? EXIT_NEGATIVE : EXIT_OK;
}

/* ---- build ---- */

static int cmd_build(struct ctx *ctx, int argc, char **argv)
{
	bool postfix = ctx_flag(ctx, "--postfix");
	bool dry = ctx_flag(ctx, "--dry-run"), yes = ctx_flag(ctx, "--yes") && !dry;
	const char *text = argv[0];
	char *db = argc > 1 ? xstrdup(argv[1]) : xasprintf("%s.db", text);
	struct alias_map m;
	struct stat ds, ts;
	char err[512];
	int rc;

	/* What is there already: a db is replaced only when asked; anything
	 * else (the text itself, a directory, another file) never. */
	bool exists = stat(db, &ds) == 0;
	if (exists && S_ISDIR(ds.st_mode))
		rc = ctx_error(ctx, EXIT_USAGE, "%s is a directory: name the db file", db);
	else if (exists && stat(text, &ts) == 0 && ts.st_dev == ds.st_dev && ts.st_ino == ds.st_ino)
		rc = ctx_error(ctx, EXIT_USAGE, "%s is the text file itself: the db would replace it", db);
	else if (exists && !aliasdb_is_db(db))
		rc = ctx_error(ctx, EXIT_USAGE, "%s exists and is not a Berkeley DB: not replaced (move it away first)",
			       db);
	else
		rc = 0;
	if (rc != 0) {
		free(db);
		return rc;
	}
	aliasmap_init(&m);
	rc = aliastext_load(text, postfix, &m, err, sizeof(err));
	if (rc != 0) {
		aliasmap_free(&m);
		free(db);
		return ctx_error(ctx, rc, "%s", err);
	}
	for (size_t i = 0; i < m.nproblems; i++)
		ctx_warn(ctx, "%s:%u: %s", text, m.problems[i].line, m.problems[i].msg);
	if (!dry && (!exists || yes))
		rc = aliasdb_build(&m, db, postfix, lock_wait(ctx), err, sizeof(err));
	if (rc != 0) {
		aliasmap_free(&m);
		free(db);
		return ctx_error(ctx, rc, "%s", err);
	}
	static const struct column cols[] = {
		{ "db", "Database", COL_TEXT, 0, 0 },
		{ "aliases", "Aliases", COL_INT, 8, 0 },
		{ "rejected", "Rejected", COL_INT, 8, 0 },
		{ "layout", "Layout", COL_TEXT, 8, 0 },
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
	if (exists && !yes && !dry)
		rc = ctx_error(ctx, EXIT_NEGATIVE, "%s exists: building replaces it; nothing written without --yes "
						   "(--dry-run only checks the text)",
			       db);
	aliasmap_free(&m);
	free(db);
	return rc;
}

/* ---- the Aliases tab ---- */

/*
 * The tab shows a snapshot of the map, read in steps from a timer (the
 * first rows paint at once; a million entries take a fraction of a second
 * more). The shared lock is held by the reading child alone, which spools
 * the records into memory and releases it when its read is done: never
 * across a wait for the user, nor while the console is stopped. A timer looks at the
 * file every second and reads it again when it changed; while a rebuild
 * holds the lock the last snapshot stays on screen with the state in the
 * header. Enter opens the expansion tree, w who reaches the alias, c the
 * check: each a list of its own over the tab.
 */
struct aview {
	struct ctx *ctx;
	char *db, *text;
	struct alias_map map;   /* the snapshot shown */
	uint32_t *rows;         /* entries shown (@ and YP_* hidden) */
	size_t nrows, caprows;
	struct alias_map next;  /* a snapshot being read to replace map */
	struct aliasdb_reader *rd;
	bool reading_into_map;  /* first read: rows appear as they come */
	bool loaded, locked, text_only;
	bool failed;            /* the last read failed (err says why); map is older */
	char err[512];
	char header[1024];
	struct loop_timer *step_timer, *watch_timer;
	struct alias_map **extra;
	size_t nextra;
	struct alias_rindex *rindex; /* for w, built on first use per snapshot */
	struct alias_env env;
	unsigned gen, seen_gen; /* rows changed since the list last looked */
};

static void aview_header(struct aview *v)
{
	char state[512] = "";
	size_t o = 0;

	if (v->text_only)
		o += (size_t)snprintf(state + o, sizeof(state) - o, "text file (no db)");
	else if (v->loaded && v->rd == NULL && !v->failed && !v->locked)
		o += (size_t)snprintf(state + o, sizeof(state) - o, "%s",
				      v->map.has_at ? "complete" : "INCOMPLETE (no @ record)");
	if (v->loaded && !v->text_only && newer(v->text, v->db))
		o += (size_t)snprintf(state + o, sizeof(state) - o, "  OUT OF DATE (text file newer)");
	if (v->rd != NULL)
		o += (size_t)snprintf(state + o, sizeof(state) - o, "  reading...");
	if (v->locked)
		snprintf(state + o, sizeof(state) - o, "  LOCKED: being rebuilt%s",
			 v->loaded ? ", showing the last snapshot" : "; retrying");
	else if (v->failed && v->loaded) {
		/* The path is at the start of the header already. */
		const char *why = v->err;
		size_t dl = strlen(v->db);
		if (strncmp(why, v->db, dl) == 0 && strncmp(why + dl, ": ", 2) == 0)
			why += dl + 2;
		snprintf(state + o, sizeof(state) - o, "  READ FAILED (showing the last snapshot): %.300s", why);
	}
	if (!v->loaded && !v->locked && v->rd == NULL)
		snprintf(v->header, sizeof(v->header), "%s", v->err);
	else
		snprintf(v->header, sizeof(v->header), "%s  %s  %zu aliases  %s", v->text_only ? v->text : v->db,
			 v->map.type[0] != '\0' ? v->map.type : "-", v->nrows, state + strspn(state, " "));
}

static void rows_rebuild(struct aview *v)
{
	v->nrows = 0;
	if (v->caprows < v->map.n + 1) {
		v->caprows = v->map.n + 1;
		v->rows = xrealloc(v->rows, v->caprows * sizeof(uint32_t));
	}
	for (size_t i = 0; i < v->map.n; i++)
		if (!aliasmap_is_meta(aliasmap_key(&v->map, &v->map.ents[i]), v->map.ents[i].klen))
			v->rows[v->nrows++] = (uint32_t)i;
}

/* The snapshot changed: what was derived from it goes. */
static void snapshot_changed(struct aview *v)
{
	alias_rindex_free(v->rindex);
	v->rindex = NULL;
	alias_env_free(&v->env);
	env_init(&v->env, v->ctx, &v->map);
	v->env.extra = v->extra;
	v->env.nextra = v->nextra;
}

static int aview_add_cb(void *arg, const char *k, size_t klen, const char *val, size_t vlen, bool nul)
{
	struct aview *v = arg;
	struct alias_map *m = v->reading_into_map ? &v->map : &v->next;

	aliasmap_add_db(m, k, klen, val, vlen, nul);
	if (v->reading_into_map && !aliasmap_is_meta(k, klen)) {
		if (v->nrows + 1 > v->caprows) {
			v->caprows = v->caprows != 0 ? v->caprows * 2 : 4096;
			v->rows = xrealloc(v->rows, v->caprows * sizeof(uint32_t));
		}
		v->rows[v->nrows++] = (uint32_t)(m->n - 1);
	}
	return 0;
}

static void reading_done(struct aview *v, int rc)
{
	aliasdb_reader_close(v->rd);
	v->rd = NULL;
	loop_timer_del(v->step_timer);
	v->step_timer = NULL;
	if (rc != 0) {
		/* A half-read snapshot is not shown. */
		if (v->reading_into_map) {
			aliasmap_free(&v->map);
			v->nrows = 0;
			v->loaded = false;
		}
		aliasmap_free(&v->next);
		v->locked = rc == EXIT_TEMPFAIL;
		v->failed = rc != EXIT_TEMPFAIL;
		if (v->err[0] == '\0')
			snprintf(v->err, sizeof(v->err), "read failed");
	} else {
		if (!v->reading_into_map) {
			aliasmap_free(&v->map);
			v->map = v->next;
			aliasmap_init(&v->next);
			rows_rebuild(v);
		}
		aliasmap_db_done(&v->map);
		v->loaded = true;
		v->locked = false;
		v->failed = false;
	}
	/* Whatever was derived from the map (the reverse index built for w
	 * while rows were still arriving) is stale now, success or not. */
	snapshot_changed(v);
	v->reading_into_map = false;
	v->gen++;
	aview_header(v);
	ctx_dirty(v->ctx);
}

/* One slice of the read: about 15 ms of records, then back to the loop. */
static void aview_step(void *arg)
{
	struct aview *v = arg;
	int64_t until = util_now_ms() + 15;
	bool done = false;
	int rc = 0;

	while (rc == 0 && !done && util_now_ms() < until) {
		size_t before = v->reading_into_map ? v->map.n : v->next.n;
		/* Wait a little for the reader within this slice's budget. */
		rc = aliasdb_reader_step(v->rd, 8192, 2, aview_add_cb, v, &done, v->err, sizeof(v->err));
		if ((v->reading_into_map ? v->map.n : v->next.n) == before)
			break; /* nothing more in the pipe yet: back to the loop */
	}
	if (rc != 0 || done)
		reading_done(v, rc);
	else {
		v->gen++;
		aview_header(v);
		ctx_dirty(v->ctx);
	}
}

/* Starts a read of the db (never waiting for its lock), or loads the text
 * file when there is no db. */
static void aview_start(struct aview *v)
{
	struct alias_map *into;
	int rc;

	if (v->rd != NULL)
		return;
	v->reading_into_map = !v->loaded;
	into = v->reading_into_map ? &v->map : &v->next;
	aliasmap_free(into);
	if (v->reading_into_map)
		v->nrows = 0;
	v->err[0] = '\0';
	rc = aliasdb_reader_open_spooled(v->db, 0, into, &v->rd, v->err, sizeof(v->err));
	if (rc == EXIT_NOINPUT && file_exists(v->text)) {
		rc = aliastext_load(v->text, false, into, v->err, sizeof(v->err));
		v->text_only = rc == 0;
		v->failed = rc != 0;
		v->reading_into_map = false;
		if (rc == 0 && into != &v->map) {
			aliasmap_free(&v->map);
			v->map = v->next;
			aliasmap_init(&v->next);
		}
		if (rc == 0) {
			rows_rebuild(v);
			v->gen++;
			v->loaded = true;
			v->locked = false;
			v->failed = false;
			snapshot_changed(v);
		}
		aview_header(v);
		ctx_dirty(v->ctx);
		return;
	}
	if (rc != 0) {
		v->rd = NULL;
		reading_done(v, rc);
		return;
	}
	v->text_only = false;
	v->step_timer = loop_timer_add(ctx_loop(v->ctx), 1, true, aview_step, v);
	aview_header(v);
}

/* Every second: read again when the file changed, or while it was locked or missing. */
static void aview_watch(void *arg)
{
	struct aview *v = arg;

	if (v->rd != NULL)
		return;
	if (v->loaded && !v->locked && !aliasdb_changed(&v->map)) {
		aview_header(v); /* the text file may have become newer */
		return;
	}
	aview_start(v);
}

static int aview_open(struct ctx *ctx, void **state, char *err, size_t errlen)
{
	struct aview *v = xcalloc(1, sizeof(*v));

	(void)err;
	(void)errlen;
	v->ctx = ctx;
	v->db = db_path(ctx_config(ctx));
	v->text = text_path(ctx_config(ctx), v->db);
	aliasmap_init(&v->map);
	aliasmap_init(&v->next);
	v->nextra = load_extra(ctx, &v->extra);
	env_init(&v->env, ctx, &v->map);
	aview_start(v);
	v->watch_timer = loop_timer_add(ctx_loop(ctx), 1000, true, aview_watch, v);
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

/* The row showing alias name, or (size_t)-1. */
static size_t aview_find(struct aview *v, const char *name)
{
	const struct alias_ent *e = aliasmap_lookup(&v->map, name, strlen(name));

	if (e == NULL)
		return (size_t)-1;
	uint32_t ent = (uint32_t)(e - v->map.ents);
	for (size_t i = 0; i < v->nrows; i++)
		if (v->rows[i] == ent)
			return i;
	return (size_t)-1;
}

/* -- the expansion tree: a list of nodes, folded under a node on Enter -- */

static const struct column tview_columns[] = {
	{ "address", "Address", COL_TEXT, 40, 0 },
	{ "kind", "Kind", COL_TEXT, 8, 0 },
	{ "fault", "Fault", COL_TEXT, 15, 0 },
	{ "note", "Note", COL_TEXT, 0, 0 },
};

struct tview {
	struct aview *parent;
	struct alias_tree t;
	bool *folded;   /* per node */
	size_t *shown;  /* nodes visible, in order */
	size_t nshown;
	char header[512];
	struct buf cell;
};

static bool has_children(const struct tview *tv, size_t i)
{
	return i + 1 < tv->t.n && tv->t.nodes[i + 1].depth > tv->t.nodes[i].depth;
}

static void tview_layout(struct tview *tv)
{
	tv->nshown = 0;
	for (size_t i = 0; i < tv->t.n; i++) {
		tv->shown[tv->nshown++] = i;
		if (tv->folded[i])
			while (i + 1 < tv->t.n && tv->t.nodes[i + 1].depth > tv->t.nodes[i].depth)
				i++;
	}
}

static const struct column *tview_columns_cb(void *state, int *n)
{
	(void)state;
	*n = 4;
	return tview_columns;
}

static size_t tview_count(void *state)
{
	return ((struct tview *)state)->nshown;
}

static void tview_row(void *state, size_t i, struct cell *cells)
{
	struct tview *tv = state;
	size_t k = tv->shown[i];
	const struct alias_node *n = &tv->t.nodes[k];
	const char *fault = alias_fault_name(n->fault);

	buf_reset(&tv->cell);
	for (int d = 0; d < n->depth; d++)
		buf_adds(&tv->cell, "  ");
	buf_adds(&tv->cell, has_children(tv, k) ? (tv->folded[k] ? "+ " : "- ") : "  ");
	buf_adds(&tv->cell, n->addr);
	if (n->duplicate)
		buf_adds(&tv->cell, "  (duplicate)");
	cells[0] = cell_bytes(tv->cell.data, tv->cell.len);
	if (n->duplicate)
		cells[0] = cell_role(cells[0], ROLE_DIM);
	cells[1] = cell_str(alias_kind_name(n->kind));
	cells[2] = cell_role(cell_str(fault), fault != NULL ? ROLE_FAIL : ROLE_NORMAL);
	cells[2].null = fault == NULL;
	cells[3] = cell_str(n->note);
	cells[3].null = n->note == NULL;
}

static const char *tview_header(void *state)
{
	return ((struct tview *)state)->header;
}

static int tview_activate(void *state, struct ctx *ctx, size_t i)
{
	struct tview *tv = state;
	size_t k = tv->shown[i];

	(void)ctx;
	if (!has_children(tv, k))
		return VIEW_USED;
	tv->folded[k] = !tv->folded[k];
	tview_layout(tv);
	return VIEW_USED | VIEW_DIRTY;
}

static void push_who(struct aview *v, struct ctx *ctx, const char *target);

static int tview_key(void *state, struct ctx *ctx, int key, size_t sel)
{
	struct tview *tv = state;

	if (key == '-' || key == '+') {
		for (size_t i = 0; i < tv->t.n; i++)
			tv->folded[i] = key == '-' && i > 0 && has_children(tv, i);
		tview_layout(tv);
		return VIEW_USED | VIEW_DIRTY;
	}
	if (key == 'w' && sel != (size_t)-1) {
		push_who(tv->parent, ctx, tv->t.nodes[tv->shown[sel]].addr);
		return VIEW_USED;
	}
	return VIEW_UNUSED;
}

static void tview_close(void *state)
{
	struct tview *tv = state;

	alias_tree_free(&tv->t);
	free(tv->folded);
	free(tv->shown);
	buf_free(&tv->cell);
	free(tv);
}

static const struct key_help tview_keys[] = {
	{ "Enter", "fold / unfold the node" },
	{ "-, +", "fold everything / unfold everything" },
	{ "w", "who reaches the selected address" },
	{ NULL, NULL },
};

static const struct view tree_view = {
	.columns = tview_columns_cb,
	.row_count = tview_count,
	.row = tview_row,
	.header = tview_header,
	.activate = tview_activate,
	.key = tview_key,
	.close = tview_close,
	.keys = tview_keys,
};

static void push_tree(struct aview *v, struct ctx *ctx, const char *name)
{
	struct tview *tv = xcalloc(1, sizeof(*tv));
	size_t leaves = 0;

	tv->parent = v;
	buf_init(&tv->cell);
	alias_expand(&v->env, name, &tv->t);
	tv->folded = xcalloc(tv->t.n + 1, sizeof(bool));
	tv->shown = xcalloc(tv->t.n + 1, sizeof(size_t));
	tview_layout(tv);
	for (size_t i = 0; i < tv->t.n; i++)
		leaves += !has_children(tv, i) && !tv->t.nodes[i].duplicate;
	snprintf(tv->header, sizeof(tv->header), "Expansion of %s, as sendmail -bv walks it: %zu nodes, %zu leaves, %s",
		 name, tv->t.n, leaves,
		 alias_tree_deliverable(&tv->t) ? "all deliverable" : "NOT all deliverable");
	ctx_push_view(ctx, &tree_view, tv);
}

/* -- who reaches a target: Enter jumps to the alias in the tab -- */

struct wview {
	struct aview *parent;
	struct alias_who *w;
	size_t n;
	char header[512];
};

static const struct column *wview_columns(void *state, int *n)
{
	(void)state;
	*n = 3;
	return who_columns;
}

static size_t wview_count(void *state)
{
	return ((struct wview *)state)->n;
}

static void wview_row(void *state, size_t i, struct cell *cells)
{
	struct wview *wv = state;

	cells[0] = cell_role(cell_str(wv->w[i].alias), ROLE_HEAD);
	cells[1] = cell_num(wv->w[i].depth);
	cells[2] = cell_str(wv->w[i].path);
}

static const char *wview_header(void *state)
{
	return ((struct wview *)state)->header;
}

/* Closes every list over the tab and puts the tab's cursor on alias name. */
static void jump_to(struct aview *v, struct ctx *ctx, const char *name, int lists)
{
	size_t row = aview_find(v, name);

	for (int i = 0; i < lists; i++)
		ctx_pop_view(ctx);
	if (row != (size_t)-1)
		ctx_select_row(ctx, row);
}

static int wview_activate(void *state, struct ctx *ctx, size_t i)
{
	struct wview *wv = state;
	char *name = xstrdup(wv->w[i].alias);

	/* Under it: the tab, or a tree over the tab. Close both. */
	jump_to(wv->parent, ctx, name, 2);
	free(name);
	return VIEW_USED;
}

static void wview_close(void *state)
{
	struct wview *wv = state;

	alias_who_free(wv->w, wv->n);
	free(wv);
}

static const struct key_help wview_keys[] = {
	{ "Enter", "go to the alias in the list" },
	{ NULL, NULL },
};

static const struct view who_view = {
	.columns = wview_columns,
	.row_count = wview_count,
	.row = wview_row,
	.header = wview_header,
	.activate = wview_activate,
	.close = wview_close,
	.keys = wview_keys,
};

static void push_who(struct aview *v, struct ctx *ctx, const char *target)
{
	struct wview *wv = xcalloc(1, sizeof(*wv));

	wv->parent = v;
	if (v->rindex == NULL)
		v->rindex = alias_rindex_build(&v->env);
	wv->n = alias_who_indexed(&v->env, v->rindex, target, &wv->w);
	snprintf(wv->header, sizeof(wv->header), "Who reaches %s: %zu alias%s", target, wv->n,
		 wv->n == 1 ? "" : "es");
	ctx_push_view(ctx, &who_view, wv);
}

/* -- the check, run in steps; Enter on a finding jumps to its alias -- */

struct cview {
	struct aview *parent;
	struct ctx *ctx;
	struct check_run cr;
	bool running;
	struct loop_timer *timer;
	char header[512];
	size_t seen; /* findings the list has been told of */
};

static void cview_header(struct cview *cv)
{
	if (cv->running)
		snprintf(cv->header, sizeof(cv->header), "Checking: %zu of %zu aliases, %zu findings so far (Esc stops)",
			 cv->cr.next, cv->cr.m->n, cv->cr.fs.n);
	else
		snprintf(cv->header, sizeof(cv->header), "Check: %zu finding%s%s", cv->cr.fs.n,
			 cv->cr.fs.n == 1 ? "" : "s",
			 cv->cr.m != NULL && cv->cr.next < cv->cr.m->n ? " (stopped before the end)" : "");
}

static void cview_stop(struct cview *cv)
{
	cv->running = false;
	loop_timer_del(cv->timer);
	cv->timer = NULL;
	ctx_progress(cv->ctx, NULL);
	cview_header(cv);
	ctx_dirty(cv->ctx);
}

static void cview_step(void *arg)
{
	struct cview *cv = arg;
	int64_t until = util_now_ms() + 15;
	bool done = false;

	while (!done && util_now_ms() < until)
		done = check_step(&cv->cr, 256);
	if (done) {
		cview_stop(cv);
		return;
	}
	ctx_progress(cv->ctx, "checking %zu%%", cv->cr.m->n ? cv->cr.next * 100 / cv->cr.m->n : 100);
	cview_header(cv);
	ctx_dirty(cv->ctx);
}

static const struct column *cview_columns(void *state, int *n)
{
	(void)state;
	*n = 5;
	return check_columns;
}

static size_t cview_count(void *state)
{
	return ((struct cview *)state)->cr.fs.n;
}

static void cview_row(void *state, size_t i, struct cell *cells)
{
	finding_cells(&((struct cview *)state)->cr.fs.f[i], cells);
}

static const char *cview_header_cb(void *state)
{
	return ((struct cview *)state)->header;
}

/* The rows grow while the check runs: the list re-reads them when they did. */
static bool cview_poll(void *state)
{
	struct cview *cv = state;

	if (cv->seen == cv->cr.fs.n)
		return false;
	cv->seen = cv->cr.fs.n;
	return true;
}

static int cview_activate(void *state, struct ctx *ctx, size_t i)
{
	struct cview *cv = state;
	const struct finding *f = &cv->cr.fs.f[i];

	if (f->key == NULL) {
		char *text = f->line != 0 ? xasprintf("%s line %u: %s\n", cv->parent->text, f->line, f->detail)
					  : xasprintf("%s\n", f->detail);
		ctx_pager(ctx, f->check, text, strlen(text));
		free(text);
		return VIEW_USED;
	}
	char *name = xstrdup(f->key);
	jump_to(cv->parent, ctx, name, 1);
	free(name);
	return VIEW_USED;
}

static int cview_key(void *state, struct ctx *ctx, int key, size_t sel)
{
	struct cview *cv = state;

	(void)ctx;
	(void)sel;
	if (key == 27 && cv->running) {
		cview_stop(cv);
		return VIEW_USED | VIEW_DIRTY;
	}
	return VIEW_UNUSED;
}

static void cview_close(void *state)
{
	struct cview *cv = state;

	if (cv->running)
		cview_stop(cv);
	check_free(&cv->cr);
	free(cv);
}

static const struct key_help cview_keys[] = {
	{ "Enter", "go to the alias of the finding" },
	{ "Esc", "stop a check that is running" },
	{ NULL, NULL },
};

static const struct view check_view = {
	.columns = cview_columns,
	.row_count = cview_count,
	.row = cview_row,
	.header = cview_header_cb,
	.activate = cview_activate,
	.key = cview_key,
	.poll = cview_poll,
	.close = cview_close,
	.keys = cview_keys,
};

static void push_check(struct aview *v, struct ctx *ctx)
{
	struct cview *cv = xcalloc(1, sizeof(*cv));
	char err[512];

	cv->parent = v;
	cv->ctx = ctx;
	/* Never wait for a rebuild's lock in the console. */
	int rc = check_begin(ctx, &cv->cr, 0, err, sizeof(err));
	if (rc != 0) {
		ctx_error(ctx, rc, "%s", err);
		free(cv);
		return;
	}
	cv->running = true;
	cv->seen = cv->cr.fs.n;
	cview_header(cv);
	cv->timer = loop_timer_add(ctx_loop(ctx), 1, true, cview_step, cv);
	ctx_push_view(ctx, &check_view, cv);
}

/* -- the tab's own keys -- */

static char *selected_name(struct aview *v, size_t sel)
{
	const struct alias_ent *e = &v->map.ents[v->rows[sel]];
	return xstrndup(aliasmap_key(&v->map, e), e->klen);
}

static int aview_activate(void *state, struct ctx *ctx, size_t i)
{
	struct aview *v = state;
	char *name = selected_name(v, i);

	push_tree(v, ctx, name);
	free(name);
	return VIEW_USED;
}

static int aview_key(void *state, struct ctx *ctx, int key, size_t sel)
{
	struct aview *v = state;

	if (key == 'w' && sel != (size_t)-1) {
		char *name = selected_name(v, sel);
		push_who(v, ctx, name);
		free(name);
		return VIEW_USED;
	}
	if (key == 'c') {
		push_check(v, ctx);
		return VIEW_USED;
	}
	return VIEW_UNUSED;
}

/* The rows change only through the timers above, which mark the screen
 * dirty and count a generation; the list re-reads them once per change. */
static bool aview_poll(void *state)
{
	struct aview *v = state;

	if (v->gen == v->seen_gen)
		return false;
	v->seen_gen = v->gen;
	return true;
}

static void aview_close(void *state)
{
	struct aview *v = state;

	loop_timer_del(v->step_timer);
	loop_timer_del(v->watch_timer);
	aliasdb_reader_close(v->rd);
	alias_rindex_free(v->rindex);
	alias_env_free(&v->env);
	free_extra(v->extra, v->nextra);
	aliasmap_free(&v->map);
	aliasmap_free(&v->next);
	free(v->rows);
	free(v->db);
	free(v->text);
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
	.activate = aview_activate,
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
	{ "--dry-run", 0, NULL, "read and check the text, write nothing" },
	{ "--yes", 0, NULL, "replace a db that exists" },
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
