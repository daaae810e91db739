#!/usr/bin/env bash
# The docs stay true to the binary: every plugin, verb and option that
# --help lists is in docs/cli.md and docs/mailops.1, every column of
# config, aliases, cache, doctor, arf, callahead check and benford (their tsv
# headers) is in docs/cli.md, every config key is in docs/mailops.conf.5,
# both man pages render without warnings, and README names the two make
# targets. Nothing is hard-coded: the lists come from the binary's output.
. "$(dirname "$0")/../lib.sh"

CLI_MD=$ROOT/docs/cli.md
MAN1=$ROOT/docs/mailops.1
MAN5=$ROOT/docs/mailops.conf.5
README=$ROOT/README.md

# render FILE: a man page as plain ASCII text, wide, without hyphenation,
# with runs of blanks squeezed, so that '\-' and '-' both read '-' and a
# phrase is never split by adjustment or a line break inside a word.
render() {
	LC_ALL=C MANWIDTH=200 MANROFFOPT=-rHY=0 man -l "$1" 2>/dev/null | tr -s ' '
}

# has_word TEXT WORD: WORD (taken literally) occurs in TEXT, not inside a
# longer word or option name.
has_word() {
	printf '%s\n' "$1" | grep -qF -- "$2" || return 1
	local re
	re=$(printf '%s' "$2" | sed 's/[][\.*^$+?(){}|/]/\\&/g')
	printf '%s\n' "$1" | grep -qE -- "(^|[^A-Za-z0-9_-])${re}([^A-Za-z0-9_-]|$)"
}

# check_has NAME TEXT WORD WHERE: one TAP line.
check_has() {
	if has_word "$2" "$3"; then ok "$1"; else not_ok "$1" "'$3' is not in $4"; fi
}

have_file() {
	if [ -f "$1" ]; then ok "$2"; return 0; fi
	not_ok "$2" "$1 does not exist"
	return 1
}

have_file "$CLI_MD" "docs_cli_md_exists" && MD=$(cat "$CLI_MD") || MD=
have_file "$MAN1" "docs_mailops_1_exists" && M1=$(render "$MAN1") || M1=
have_file "$MAN5" "docs_mailops_conf_5_exists" && M5=$(render "$MAN5") || M5=

# ---- the man pages render without warnings ----
for page in "$MAN1" "$MAN5"; do
	name=$(basename "$page")
	[ -f "$page" ] || continue
	warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = 0 ] && [ -z "$warn" ]; then
		ok "man_renders_without_warnings: $name"
	else
		not_ok "man_renders_without_warnings: $name" "exit $rc" "$warn"
	fi
	if [ -n "$(render "$page")" ]; then ok "man_renders_text: $name"; else not_ok "man_renders_text: $name" "empty"; fi
done

# ---- plugins, from 'mailops --help' ----
run "$MAILOPS" --help
expect_eq "help_exits_0" 0 "$RC"
HELP=$OUT
words=$(printf '%s\n' "$HELP" | awk '/^(Plugins|Other commands):$/ { on = 1; next } /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }')
if [ -n "$words" ]; then ok "help_lists_plugins"; else not_ok "help_lists_plugins" "$HELP"; fi

for w in $words; do
	check_has "cli_md_documents_command: $w" "$MD" "mailops $w" "docs/cli.md"
	check_has "man_documents_command: $w" "$M1" "mailops $w" "docs/mailops.1"
done

# Global options of 'mailops --help' are in the manual.
globals=$(printf '%s\n' "$HELP" | awk '/^Global options/ { on = 1; next } /^$/ { on = 0 }
	on && /^  -/ { n = split($0, f, " "); for (i = 1; i <= n; i++) { if (f[i] !~ /^-/) break; print f[i] } }' | tr -d ,)
if [ -n "$globals" ]; then ok "help_lists_global_options"; else not_ok "help_lists_global_options" "$HELP"; fi
for o in $globals; do
	check_has "man_documents_global_option: $o" "$M1" "$o" "docs/mailops.1"
done

# Exit codes of 'mailops --help' are in both documents.
codes=$(printf '%s\n' "$HELP" | awk '/^Exit codes:/ { on = 1 } /^$/ { on = 0 } on' | grep -oE '(^|[ :,])[0-9]+ [a-z]' | grep -oE '[0-9]+')
if [ -n "$codes" ]; then ok "help_lists_exit_codes"; else not_ok "help_lists_exit_codes" "$HELP"; fi
for c in $codes; do
	if printf '%s\n' "$MD" | grep -qE "^\| *$c *\|"; then ok "cli_md_documents_exit_code: $c"; else not_ok "cli_md_documents_exit_code: $c" "no '| $c |' row in docs/cli.md"; fi
	if printf '%s\n' "$M1" | grep -qE "^ *$c( |$)"; then ok "man_documents_exit_code: $c"; else not_ok "man_documents_exit_code: $c" "no line starting with $c in docs/mailops.1"; fi
done

# ---- verbs and options, from 'mailops PLUGIN --help' ----
for p in $words; do
	[ "$p" = help ] && continue
	run "$MAILOPS" "$p" --help
	if [ "$RC" != 0 ]; then
		not_ok "plugin_help_exits_0: $p" "exit $RC" "$ERR"
		continue
	fi
	verbs=$(printf '%s\n' "$OUT" | awk '/^Verbs:$/ { on = 1; next } /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }')
	if [ -n "$verbs" ]; then ok "plugin_help_lists_verbs: $p"; else not_ok "plugin_help_lists_verbs: $p" "$OUT"; fi
	for v in $verbs; do
		check_has "cli_md_documents_verb: $p $v" "$MD" "$p $v" "docs/cli.md"
		check_has "man_documents_verb: $p $v" "$M1" "$p $v" "docs/mailops.1"
	done
	# Option lines: "      -j, --jobs N    help" or "      --prefix P    help".
	opts=$(printf '%s\n' "$OUT" | awk '/^Verbs:$/ { on = 1; next } /^$/ { on = 0 }
		on && /^      -/ { n = split($0, f, " "); for (i = 1; i <= n; i++) { print f[i]; if (f[i] !~ /,$/) break } }' |
		tr -d , | sort -u)
	for o in $opts; do
		check_has "man_documents_option: $p $o" "$M1" "$o" "docs/mailops.1"
	done
	def=$(printf '%s\n' "$OUT" | sed -n "s/^Without a verb, '\([a-z-]*\)' is used\.$/\1/p")
	if [ -n "$def" ]; then
		if printf '%s\n' "$MD" | grep -qE "^\| *\`$p\` *\| *\`$def\` *\|"; then
			ok "cli_md_documents_default_verb: $p $def"
		else
			not_ok "cli_md_documents_default_verb: $p $def" "no '| \`$p\` | \`$def\` |' row in docs/cli.md"
		fi
		if printf '%s\n' "$M1" | grep -qE "^ *$p +$def *$"; then
			ok "man_documents_default_verb: $p $def"
		else
			not_ok "man_documents_default_verb: $p $def" "no '$p $def' line in docs/mailops.1"
		fi
	fi
done

# ---- columns of 'config', from its tsv header ----
run "$MAILOPS" -o tsv config
expect_eq "config_tsv_exits_0" 0 "$RC"
header=$(printf '%s\n' "$OUT" | head -1)
if [ -n "$header" ]; then ok "config_tsv_has_header"; else not_ok "config_tsv_has_header" "$OUT"; fi
for col in $(printf '%s\n' "$header" | tr '\t' '\n'); do
	check_has "cli_md_documents_config_column: $col" "$MD" "\`$col\`" "docs/cli.md"
done

# ---- config keys in mailops.conf(5) ----
# A key counts when "section.key" is written, or when the key appears in a
# part of the page about its section: from a line naming "[section]" (or a
# heading that is just the section's name) up to a line naming another one.
keys=$(printf '%s\n' "$OUT" | tail -n +2 | cut -f1,2)
sections=$(printf '%s\n' "$keys" | cut -f1 | sort -u | tr '\n' ' ')
if [ -n "$keys" ]; then ok "config_lists_keys"; else not_ok "config_lists_keys" "$OUT"; fi
# (A missing page failed once above; no need to fail once per key.)
[ -n "$M5" ] && while IFS=$'\t' read -r s k; do
	[ -n "$s" ] || continue
	if printf '%s\n' "$M5" | awk -v sect="$s" -v key="$k" -v all="$sections" '
		function names(line, n) { return index(line, "[" n "]") > 0 || line ~ ("^ *" n " *$") }
		function word(line, w,   i, rest, b, a) {
			rest = line
			while ((i = index(rest, w)) > 0) {
				b = i > 1 ? substr(rest, i - 1, 1) : " "
				a = substr(rest, i + length(w), 1)
				if (b !~ /[A-Za-z0-9_]/ && a !~ /[A-Za-z0-9_]/) return 1
				rest = substr(rest, i + length(w))
			}
			return 0
		}
		BEGIN { n = split(all, secs, " "); found = 0; inblock = 0 }
		{
			if (index($0, sect "." key) > 0) found = 1
			if (names($0, sect)) inblock = 1
			else for (i = 1; i <= n; i++) if (secs[i] != sect && names($0, secs[i])) { inblock = 0; break }
			if (inblock && word($0, key)) found = 1
		}
		END { exit found ? 0 : 1 }'; then
		ok "conf5_documents_key: $s.$k"
	else
		not_ok "conf5_documents_key: $s.$k" "'$k' is not in the [$s] part of docs/mailops.conf.5"
	fi
done <<<"$keys"

# ---- columns of the aliases verbs, from their tsv headers ----
printf 'root: daemon\nlist: root, bin\n' >"$TMP/aliases"
run "$MAILOPS" -o tsv aliases build --yes "$TMP/aliases" "$TMP/aliases.db"
build_header=$(printf '%s\n' "$OUT" | head -1)
printf '[aliases]\ndb = %s/aliases.db\ntext = %s/aliases\n' "$TMP" "$TMP" >"$TMP/docs.conf"
for verb in "list" "show root" "expand list" "who daemon"; do
	run "$MAILOPS" -c "$TMP/docs.conf" -o tsv aliases $verb
	h=$(printf '%s\n' "$OUT" | head -1)
	if [ -n "$h" ]; then ok "aliases_${verb%% *}_tsv_has_header"; else not_ok "aliases_${verb%% *}_tsv_has_header" "exit $RC $ERR"; fi
	for col in $(printf '%s\n' "$h" | tr '\t' '\n'); do
		check_has "cli_md_documents_aliases_${verb%% *}_column: $col" "$MD" "\`$col\`" "docs/cli.md"
	done
done
# check prints its header only with findings: make one.
printf 'dangling: nosuchuser-here\n' >>"$TMP/aliases"
run "$MAILOPS" -c "$TMP/docs.conf" -o tsv aliases check
expect_eq "aliases_check_header_as_documented" $'severity\tcheck\tkey\tline\tdetail' "$(printf '%s\n' "$OUT" | head -1)"
for col in $(printf '%s\n' "$build_header" | tr '\t' '\n'); do
	check_has "cli_md_documents_aliases_build_column: $col" "$MD" "\`$col\`" "docs/cli.md"
done
for c in $(printf '%s\n' "$OUT" | tail -n +2 | cut -f2 | sort -u); do
	check_has "cli_md_documents_check_name: $c" "$MD" "\`$c\`" "docs/cli.md"
done

# ---- columns of the cache verbs: the headers print even with the pool down ----
printf '[cache]\nservers = 127.0.0.1:1\n' >"$TMP/cache.conf"
for verb in "stats" "stats --slabs" "list" "get k" "locate k" "del k" "flush --all"; do
	h=$("$MAILOPS" -c "$TMP/cache.conf" -o tsv cache $verb 2>/dev/null | head -1)
	name=$(echo "$verb" | tr ' ' '_' | tr -d -)
	if [ -n "$h" ]; then ok "cache_${name}_tsv_has_header"; else not_ok "cache_${name}_tsv_has_header"; fi
	for col in $(printf '%s\n' "$h" | tr '\t' '\n'); do
		check_has "cli_md_documents_cache_${name}_column: $col" "$MD" "\`$col\`" "docs/cli.md"
	done
done

# ---- columns of doctor, arf and callahead check, from their tsv headers ----
hdr_cols() { # hdr_cols NAME CMD...: every column of CMD's tsv header is in docs/cli.md
	local name=$1 h
	shift
	h=$("$@" 2>/dev/null | head -1)
	if [ -n "$h" ]; then ok "${name}_tsv_has_header"; else not_ok "${name}_tsv_has_header" "$*"; fi
	for col in $(printf '%s\n' "$h" | tr '\t' '\n'); do
		check_has "cli_md_documents_${name}_column: $col" "$MD" "\`$col\`" "docs/cli.md"
	done
}
MBOX=$ROOT/tests/data/arf/corpus/all.mbox
hdr_cols doctor "$MAILOPS" -c /dev/null -o tsv doctor --only dnsbl,arf
hdr_cols arf_list "$MAILOPS" -o tsv arf list "$MBOX"
hdr_cols arf_summary "$MAILOPS" -o tsv arf summary "$MBOX"
hdr_cols arf_complainers "$MAILOPS" -o tsv arf complainers "$MBOX"
hdr_cols arf_show "$MAILOPS" -o tsv arf show 1 "$MBOX"
hdr_cols callahead_check "$MAILOPS" -c /dev/null -o tsv callahead --server 127.0.0.1:1 a@b.example
hdr_cols benford_run "$MAILOPS" -o tsv benford run "$MBOX"

# ---- README names the two commands ----
if [ -f "$README" ]; then
	R=$(cat "$README")
	check_has "readme_mentions_make_demo" "$R" "make demo" "README.md"
	check_has "readme_mentions_make_check" "$R" "make check" "README.md"
else
	not_ok "readme_exists" "$README does not exist"
fi

done_testing
