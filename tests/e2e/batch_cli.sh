#!/usr/bin/env bash
# Batch mode: help, version, usage errors with suggestions, exit codes of
# verbs not built yet, global options anywhere, writers, config errors.
. "$(dirname "$0")/../lib.sh"

# --help lists the five plugins, each with its one-line summary.
run "$MAILOPS" --help
expect_eq "help_exits_0" 0 "$RC"
for p in aliases cache callahead arf benford; do
	expect_match "help_lists_plugin_$p" "^  $p +[a-zA-Z].{20,}" "$OUT"
done
expect_match "help_lists_exit_codes" "75 temporary failure" "$OUT"
run "$MAILOPS" help
expect_eq "help_word_same_as_option" "$("$MAILOPS" --help)" "$OUT"

run "$MAILOPS" --version
expect_match "version_prints_version" "^mailops [0-9]+\.[0-9]+\.[0-9]+$" "$OUT"

# Unknown words: one line naming the nearest valid word, exit 64.
expect_rc "unknown_command_exits_64" 64 "$MAILOPS" nosuch
expect_match "unknown_command_names_nearest" "^mailops: unknown command 'nosuch'; did you mean '[a-z]+'\?$" "$ERR"
expect_eq "unknown_command_one_line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
expect_rc "typo_command_exits_64" 64 "$MAILOPS" alises
expect_match "typo_command_suggests_aliases" "did you mean 'aliases'" "$ERR"
expect_rc "typo_verb_exits_64" 64 "$MAILOPS" cache flsh --all
expect_match "typo_verb_suggests_flush" "did you mean 'flush'" "$ERR"
# near the default verb too, for plugins whose default verb takes files
expect_rc "typo_of_default_verb_exits_64" 64 "$MAILOPS" arf lst x
expect_match "typo_of_default_verb_suggests_list" "unknown verb 'lst'; did you mean 'list'" "$ERR"
expect_rc "typo_two_letters_exits_64" 64 "$MAILOPS" benford rn
expect_match "typo_two_letters_suggests_run" "did you mean 'run'" "$ERR"
expect_rc "typo_stat_exits_64" 64 "$MAILOPS" cache stat
expect_match "typo_stat_suggests_stats" "did you mean 'stats'" "$ERR"
# ... unless the word names a file: then it is the argument it looks like
cp "$ROOT/tests/data/arf/corpus/stalwart-001.eml" "$TMP/lst"
run bash -c "cd '$TMP' && '$MAILOPS' -o tsv arf lst"
expect_eq "file_named_like_a_typo_is_read" "0 2" "$RC $(printf '%s\n' "$OUT" | wc -l)"
expect_rc "help_help_is_the_help" 0 "$MAILOPS" help help
expect_match "help_help_lists_plugins" "aliases" "$OUT"
expect_rc "help_extra_word_exits_64" 64 "$MAILOPS" help cache flush extra
expect_match "help_extra_word_says_so" "help takes a plugin and a verb at most" "$ERR"
expect_rc "unknown_option_exits_64" 64 "$MAILOPS" cache list --prefx foo
expect_match "unknown_option_suggests_prefix" "unknown option for 'cache list' '--prefx'; did you mean '--prefix'" "$ERR"
expect_rc "unknown_global_option_exits_64" 64 "$MAILOPS" --nosuch
expect_rc "bad_format_exits_64" 64 "$MAILOPS" -o jsn config
expect_match "bad_format_suggests_json" "did you mean 'json'" "$ERR"
expect_rc "missing_argument_exits_64" 64 "$MAILOPS" aliases show
expect_match "missing_argument_prints_usage" "usage: mailops aliases show NAME" "$ERR"
expect_rc "too_many_arguments_exits_64" 64 "$MAILOPS" aliases show a b

# Plugin help.
run "$MAILOPS" cache --help
expect_eq "plugin_help_exits_0" 0 "$RC"
expect_match "plugin_help_lists_verbs" "flush \(--prefix P\|--match GLOB\|--all\)" "$OUT"
expect_match "plugin_help_lists_options" "--dry-run +only print" "$OUT"
run "$MAILOPS" help cache
expect_eq "help_plugin_word_same_as_option" "$("$MAILOPS" cache --help)" "$OUT"
expect_match "plugin_help_usage_brackets_balanced" '^Usage: mailops \[GLOBAL\] cache \[VERB\] \[ARGS\]$' "$OUT"

# Verbs not built yet: exit 70 with "not implemented", nothing on stdout.
while read -r args; do
	# shellcheck disable=SC2086
	run "$MAILOPS" $args
	if [ "$RC" = 70 ] && [ "$ERR" = "mailops: not implemented" ] && [ -z "$OUT" ]; then
		ok "not_built_exits_70: $args"
	else
		not_ok "not_built_exits_70: $args" "exit $RC" "stdout: $OUT" "stderr: $ERR"
	fi
done <<'LIST'
LIST

# Default verbs, and global options anywhere on the line.
run "$MAILOPS" config
expect_eq "default_verb_used" 0 "$RC"
run "$MAILOPS" config show -o tsv
expect_eq "global_option_after_verb" "section	key	value	default	changed" "$(printf '%s\n' "$OUT" | head -1)"
run "$MAILOPS" config -o csv show cache
expect_eq "global_option_between_words" "section,key,value,default,changed" "$(printf '%s\n' "$OUT" | head -1 | tr -d '\r')"
expect_match "csv_rows_end_in_crlf" $'\r$' "$(printf '%s\n' "$OUT" | head -1)"

# JSON: one object a line, every line parses, numbers and booleans typed.
run "$MAILOPS" -o json config
expect_eq "json_exits_0" 0 "$RC"
if printf '%s\n' "$OUT" | jq -e . >/dev/null 2>&1; then ok "json_parses_with_jq"; else not_ok "json_parses_with_jq" "$OUT"; fi
expect_eq "json_one_object_per_line" "$(printf '%s\n' "$OUT" | wc -l)" "$(printf '%s\n' "$OUT" | jq -c . | wc -l)"
expect_eq "json_keys_are_column_names" '["changed","default","key","section","value"]' \
	"$(printf '%s\n' "$OUT" | head -1 | jq -c 'keys')"
expect_eq "json_bool_is_boolean" "boolean" "$(printf '%s\n' "$OUT" | head -1 | jq -r '.changed|type')"
expect_eq "json_lock_wait_default" "10000" \
	"$(printf '%s\n' "$OUT" | jq -r 'select(.section=="aliases" and .key=="lock_wait_ms") | .value')"

# Config: -c, $MAILOPS_CONFIG, errors with FILE:LINE and exit 78.
printf '[aliases]\nlock_wait_ms = 2500\n' >"$TMP/a.conf"
run "$MAILOPS" -c "$TMP/a.conf" -o tsv config show aliases.lock_wait_ms
expect_eq "config_file_value_used" "aliases	lock_wait_ms	2500	10000	true" "$(printf '%s\n' "$OUT" | tail -1)"
MAILOPS_CONFIG=$TMP/a.conf run "$MAILOPS" -o tsv config show aliases.lock_wait_ms
expect_eq "config_env_used" "aliases	lock_wait_ms	2500	10000	true" "$(printf '%s\n' "$OUT" | tail -1)"
run "$MAILOPS" -o tsv config show --changed -c "$TMP/a.conf"
expect_eq "config_changed_only" 2 "$(printf '%s\n' "$OUT" | wc -l)"
# An unknown section or key: exit 64 before any output (no header line).
for args in "config show nosuch" "-o tsv config show nosuch" "-o tsv config show aliases.nosuch" \
	"-o tsv config show --changed nosuch"; do
	# shellcheck disable=SC2086
	run "$MAILOPS" $args
	if [ "$RC" = 64 ] && [ -z "$OUT" ] && [ "$ERR" = "mailops: no such config section or key: ${args##* }" ]; then
		ok "config_show_unknown_exits_64_silently: $args"
	else
		not_ok "config_show_unknown_exits_64_silently: $args" "exit $RC" "stdout: $OUT" "stderr: $ERR"
	fi
done
run "$MAILOPS" -o tsv config show aliases
expect_eq "config_show_section_exits_0" 0 "$RC"
expect_nomatch "config_show_section_only_its_keys" $'^(cache|callahead)\t' "$OUT"
printf '[aliases]\n\nlock_wait = 5\n' >"$TMP/b.conf"
expect_rc "config_unknown_key_exits_78" 78 "$MAILOPS" -c "$TMP/b.conf" config
expect_match "config_error_names_file_and_line" "^mailops: $TMP/b.conf:3: .*lock_wait" "$ERR"
printf '[cache]\nhash = md5\n' >"$TMP/c.conf"
expect_rc "config_bad_value_exits_78" 78 "$MAILOPS" -c "$TMP/c.conf" cache stats
expect_rc "config_missing_file_exits_78" 78 "$MAILOPS" -c "$TMP/none.conf" config
printf '[aliases]\nlock_wait_ms = 100\n[Aliases]\n' >"$TMP/s.conf"
expect_rc "config_unknown_empty_section_exits_78" 78 "$MAILOPS" -c "$TMP/s.conf" config
expect_match "config_unknown_section_names_its_line" "s\.conf:3: unknown section \[Aliases\]; did you mean \[aliases\]\?" "$ERR"
expect_rc "config_error_before_verb" 78 "$MAILOPS" -c "$TMP/b.conf" aliases list

# The console refuses to start without a terminal.
expect_rc "console_needs_terminal" 64 "$MAILOPS" </dev/null

done_testing
