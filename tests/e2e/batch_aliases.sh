#!/usr/bin/env bash
# The alias database as the MTA sees it, checked against the MTA's own
# tools: databases built by sendmail (newaliases, makemap) and Postfix
# (postalias), listings compared byte for byte with praliases and
# postalias -s, raw records with db5.3_dump, and mailops' own builds read
# back by the real tools.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../mta.sh"
DATA=$ROOT/tests/data/aliases
D=$MTA_DIR/db
mkdir -p "$D"
chmod 755 "$D"
# Commands run from a directory of their own: libdb must leave nothing here either.
mkdir -p "$TMP/cwd"
cd "$TMP/cwd" || exit 1

# conf NAME KEY=VALUE...: a config with an [aliases] section.
conf() {
	local f=$TMP/$1.conf
	shift
	printf '[aliases]\n' >"$f"
	for kv in "$@"; do printf '%s\n' "${kv/=/ = }" >>"$f"; done
	echo "$f"
}
# records FILE: the raw records of a db, one "key<TAB>value" per line, sorted.
records() { db5.3_dump -p "$1" | sed -n '/^HEADER=END$/,/^DATA=END$/p' | sed '1d;$d' | paste - - | LC_ALL=C sort; }

# ---- a db built by sendmail's own newaliases (Debian's implicit class) ----
printf 'alice\n' >"$D/list.inc"
sed "s|@INC@|$D/list.inc|" "$DATA/layouts.aliases" >"$D/aliases"
sm_newaliases "$D/aliases" >"$TMP/newaliases.out" 2>&1
expect_eq "fixture_built_by_newaliases" "yes" "$([ -s "$D/aliases.db" ] && echo yes)"
C=$(conf sm db="$D/aliases.db" text="$D/aliases")
sm_praliases "$D/aliases" >"$TMP/praliases.out" 2>/dev/null
expect_eq "praliases_lists_28_records" 28 "$(wc -l <"$TMP/praliases.out")"
# The CRLF lines keep their CR (sendmail stores it); a plain listing
# shows it escaped, as it does every control byte: --raw gives it back.
expect_eq "crlf_record_keeps_cr" 2 "$(grep -c $'\r' "$TMP/praliases.out")"
sed 's/\r/\\x0d/g' "$TMP/praliases.out" >"$TMP/praliases.san"

run "$MAILOPS" -c "$C" aliases list --all
printf '%s\n' "$OUT" >"$TMP/list.out"
if [ "$RC" = 0 ] && cmp -s "$TMP/praliases.san" "$TMP/list.out"; then
	ok "list_all_is_praliases_byte_for_byte"
else
	not_ok "list_all_is_praliases_byte_for_byte" "exit $RC $ERR" "$(diff "$TMP/praliases.san" "$TMP/list.out" | head -20)"
fi
run "$MAILOPS" -c "$C" aliases list --all --raw
printf '%s\n' "$OUT" >"$TMP/raw.out"
if cmp -s "$TMP/praliases.out" "$TMP/raw.out"; then ok "raw_list_is_praliases"; else not_ok "raw_list_is_praliases" "$(diff "$TMP/praliases.out" "$TMP/raw.out" | head)"; fi
run "$MAILOPS" -c "$C" aliases
expect_eq "default_verb_is_list_without_at" "$(grep -v '^@:@$' "$TMP/praliases.san")" "$OUT"
run "$MAILOPS" -c "$C" aliases list 'b*'
expect_eq "list_glob_filters_keys" "biglist-request:alice biglist:$(seq -s ', ' -f 'm%g' 1 30) bs:\\alice  spaced  :   alice  ,   bob   " \
	"$(printf '%s\n' "$OUT" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
run "$MAILOPS" -c "$C" -o tsv aliases list staff
expect_eq "tsv_escapes_tab_in_value" $'key\tvalue\nstaff\talice, bob,\\tcarol,  dave' "$OUT"
run "$MAILOPS" -c "$C" -o json aliases list
n=$(printf '%s\n' "$OUT" | jq -s 'length' 2>/dev/null)
expect_eq "json_list_parses_with_jq" 27 "$n"
expect_eq "json_keeps_tab" $'alice, bob,\tcarol,  dave' "$(printf '%s\n' "$OUT" | jq -r 'select(.key=="staff") | .value')"

# Records are stored with one trailing NUL each, and "@" marks the build.
expect_match "newaliases_stores_nul" $'^root\\\\00\talice\\\\00$' "$(records "$D/aliases.db" | sed 's/^ //; s/\t /\t/')"

# ---- show: as sendmail looks up ----
run "$MAILOPS" -c "$C" aliases show ROOT
expect_eq "show_folds_case" "root:alice" "$OUT"
run "$MAILOPS" -c "$C" aliases show John.Doe
expect_eq "show_quoted_local_part_unquoted" "john.doe:john" "$OUT"
expect_rc "show_missing_exits_1" 1 "$MAILOPS" -c "$C" aliases show nosuchalias
expect_match "show_missing_says_so" "nosuchalias: no such alias" "$ERR"
run "$MAILOPS" -c "$C" -o json aliases show upper
expect_eq "show_json" '{"key":"upper","value":"Bob"}' "$OUT"

# ---- the text file parsed as newaliases parses it ----
run "$MAILOPS" -c "$C" -o tsv aliases check
printf '%s\n' "$OUT" >"$TMP/check.tsv"
expect_nomatch "text_parse_equals_newaliases_db" $'\t(not-in-db|changed|not-in-text)\t' "$OUT"
# The rejected lines and duplicates, with sendmail's line numbers and wording.
sed -n 's/^.*: line \([0-9]*\): /\1 /p' "$TMP/newaliases.out" | LC_ALL=C sort >"$TMP/sm.problems"
awk -F'\t' '$2 == "rejected" || $2 == "duplicate" {print $4 " " $5}' "$TMP/check.tsv" | LC_ALL=C sort >"$TMP/our.problems"
if [ "$(wc -l <"$TMP/sm.problems")" -ge 3 ] && cmp -s "$TMP/sm.problems" "$TMP/our.problems"; then
	ok "check_rejected_lines_are_newaliases_own"
else
	not_ok "check_rejected_lines_are_newaliases_own" "$(diff "$TMP/sm.problems" "$TMP/our.problems")"
fi
expect_match "duplicate_is_a_warning" $'^warn\tduplicate\t' "$OUT"
expect_match "duplicate_row_names_the_alias" $'^warn\tduplicate\tdup\t' "$OUT"
expect_match "check_reports_loop" $'loop\tloopa\t' "$OUT"
expect_match "check_reports_dangling_user" $'dangling\tstaff\t' "$OUT"
expect_nomatch "complete_db_no_incomplete_warning" $'\tincomplete\t' "$OUT"
expect_rc "check_exits_1_on_findings" 1 "$MAILOPS" -c "$C" aliases check

# The text file changes after the build: out of date, and the new alias is named.
printf 'newone: root\n' >>"$D/aliases"
touch -d '+2 sec' "$D/aliases"
run "$MAILOPS" -c "$C" -o tsv aliases check
expect_match "check_out_of_date" $'\tout-of-date\t' "$OUT"
expect_match "check_names_alias_missing_from_db" $'not-in-db\tnewone\t' "$OUT"

# sendmail's limits: an 8190-byte line is read, a longer one rejected, a
# continuation that overflows drops the whole entry, an indented line after
# a blank one is rejected. The parse agrees with newaliases, line for line.
{
	echo "ok1: root"
	printf 'x: %s\n' "$(head -c 8187 /dev/zero | tr '\0' a)"
	printf 'y: %s\n' "$(head -c 8188 /dev/zero | tr '\0' a)"
	echo "ok2: root"
	echo ""
	echo "  indented: after a blank line"
	echo "ok3: root"
	printf 'c: a,\n'
	for i in $(seq 1 110); do printf '  %078d,\n' "$i"; done
	echo "  last"
	echo "ok4: root"
} >"$D/limits"
sm_newaliases "$D/limits" >"$TMP/limits.out" 2>&1
sed -n 's/^.*: line \([0-9]*\): /\1 /p' "$TMP/limits.out" | LC_ALL=C sort >"$TMP/limits.sm"
CL=$(conf limits db="$D/limits-none.db" text="$D/limits")
"$MAILOPS" -c "$CL" -o tsv aliases check | awk -F'\t' '$2 == "rejected" {print $4 " " $5}' | LC_ALL=C sort >"$TMP/limits.ours"
if [ "$(wc -l <"$TMP/limits.sm")" -ge 3 ] && cmp -s "$TMP/limits.sm" "$TMP/limits.ours"; then
	ok "line_limits_rejected_as_newaliases_does"
else
	not_ok "line_limits_rejected_as_newaliases_does" "$(diff "$TMP/limits.sm" "$TMP/limits.ours")"
fi
expect_eq "line_limits_same_records_as_newaliases" "$(sm_praliases "$D/limits" 2>/dev/null | grep -v '^@:@$' | LC_ALL=C sort)" \
	"$("$MAILOPS" -c "$CL" aliases list | LC_ALL=C sort)"

# A text-only host: the parsed file is listed (no "@"), the same records.
C2=$(conf textonly db="$D/none.db" text="$D/aliases")
run "$MAILOPS" -c "$C2" aliases list
expect_eq "text_only_list_equals_db_records" \
	"$( (grep -v '^@:@$' "$TMP/praliases.san"; echo 'newone:root') | LC_ALL=C sort)" \
	"$(printf '%s\n' "$OUT" | LC_ALL=C sort)"
run "$MAILOPS" -c "$C2" aliases show newone
expect_eq "text_only_show" "newone:root" "$OUT"

# ---- makemap: -N stores NULs, plain hash: does not, no "@" either ----
sed -n 's/^\([a-z][a-z0-9-]*\): *\(.*\)$/\1\t\2/p' "$DATA/expand.aliases" | sed 's/@DIR@/\/x/' >"$TMP/kv"
sm_makemap -N hash "$D/mk-nul" <"$TMP/kv"
sm_makemap hash "$D/mk-plain" <"$TMP/kv"
sm_makemap btree "$D/mk-btree" <"$TMP/kv"
for m in mk-nul mk-plain mk-btree; do
	sm_praliases "$D/$m" >"$TMP/$m.want" 2>/dev/null
	run "$MAILOPS" -c "$(conf $m db="$D/$m.db")" aliases list --all
	printf '%s\n' "$OUT" >"$TMP/$m.got"
	if [ "$RC" = 0 ] && [ -s "$TMP/$m.want" ] && cmp -s "$TMP/$m.want" "$TMP/$m.got"; then
		ok "makemap_${m#mk-}_list_is_praliases"
	else
		not_ok "makemap_${m#mk-}_list_is_praliases" "exit $RC $ERR" "$(diff "$TMP/$m.want" "$TMP/$m.got" | head)"
	fi
	run "$MAILOPS" -c "$(conf $m db="$D/$m.db")" aliases show ROOT
	expect_eq "makemap_${m#mk-}_show" "root:daemon" "$OUT"
	run "$MAILOPS" -c "$(conf $m db="$D/$m.db")" -o tsv aliases check
	expect_match "makemap_${m#mk-}_warns_no_at_record" $'warn\tincomplete\t' "$OUT"
done
expect_match "plain_hash_has_no_nul" $'^ root\t daemon$' "$(records "$D/mk-plain.db")"
# mailops' build of the same pairs: makemap -N's records plus "@".
sed 's/\t/: /' "$TMP/kv" >"$D/mk-text"
"$MAILOPS" aliases build --yes "$D/mk-text" "$D/mk-ours.db" >/dev/null 2>&1
if [ "$(records "$D/mk-ours.db")" = "$( (records "$D/mk-nul.db"; printf ' @\\00\t @\\00\n') | LC_ALL=C sort)" ]; then
	ok "build_records_are_makemap_N_plus_at"
else
	not_ok "build_records_are_makemap_N_plus_at" "$(diff <(records "$D/mk-nul.db") <(records "$D/mk-ours.db") | head)"
fi
run "$MAILOPS" -c "$(conf mk-nul db="$D/mk-nul.db")" -o csv aliases list 'd1*'
"$MAILOPS" -c "$(conf mk-nul db="$D/mk-nul.db")" -o csv aliases list 'd1*' >"$TMP/list.csv"
expect_eq "csv_list_header_and_rows" "d1,d2 d10,d11 d11,d12 d12,nobody key,value" "$(tr -d '\r' <"$TMP/list.csv" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "csv_lines_end_crlf" 5 "$(grep -c $'\r$' "$TMP/list.csv")"

# ---- postalias ----
sed "s|@DIR@|$D|" "$DATA/expand.aliases" >"$D/pf-aliases"
pf_postalias "hash:$D/pf-aliases" 2>"$TMP/postalias.err"
expect_eq "postalias_built_fixture" yes "$([ -s "$D/pf-aliases.db" ] && echo yes)"
pf_postalias -s "hash:$D/pf-aliases" 2>/dev/null | sed 's/:\t/:/' >"$TMP/pf.want"
run "$MAILOPS" -c "$(conf pf db="$D/pf-aliases.db")" aliases list --all
printf '%s\n' "$OUT" >"$TMP/pf.got"
if [ -s "$TMP/pf.want" ] && cmp -s "$TMP/pf.want" "$TMP/pf.got"; then ok "postalias_db_list_is_postalias_s"; else not_ok "postalias_db_list_is_postalias_s" "$(diff "$TMP/pf.want" "$TMP/pf.got" | head)"; fi
run "$MAILOPS" -c "$(conf pf db="$D/pf-aliases.db")" aliases list
expect_nomatch "plain_list_hides_yp_records" '^(YP_|@:)' "$OUT"
run "$MAILOPS" -c "$(conf pf db="$D/pf-aliases.db")" aliases show Upper
expect_eq "postalias_show" "upper:Bin" "$OUT"

# The layouts fixture through postalias: the text parsed in Postfix mode
# (tokenised and re-quoted as postalias does) equals its db.
sed "s|@INC@|$D/list.inc|" "$DATA/layouts.aliases" >"$D/pf-layouts"
pf_postalias "hash:$D/pf-layouts" 2>"$TMP/pf-layouts.err"
run "$MAILOPS" -c "$(conf pfl db="$D/pf-layouts.db" text="$D/pf-layouts")" -o tsv aliases check
expect_nomatch "postfix_text_parse_equals_postalias_db" $'\t(not-in-db|changed|not-in-text)\t' "$OUT"
sed -n 's/^postalias: warning: .*, line \([0-9]*\): /\1 /p' "$TMP/pf-layouts.err" | LC_ALL=C sort >"$TMP/pf.problems"
printf '%s\n' "$OUT" | awk -F'\t' '$2 == "rejected" {print $4 " " $5}' | LC_ALL=C sort >"$TMP/our-pf.problems"
if [ -s "$TMP/pf.problems" ] && cmp -s "$TMP/pf.problems" "$TMP/our-pf.problems"; then
	ok "postfix_rejected_lines_are_postalias_own"
else
	not_ok "postfix_rejected_lines_are_postalias_own" "$(diff "$TMP/pf.problems" "$TMP/our-pf.problems")"
fi
expect_match "postfix_duplicate_first_wins" $'duplicate entry: "dup"' "$OUT"
run "$MAILOPS" -c "$(conf pfl db="$D/pf-layouts.db")" aliases show dup
expect_eq "postalias_kept_first_duplicate" "dup:first" "$OUT"

# ---- other alias-like maps: a Postfix virtual map built by postmap ----
printf 'sales@example.org  jane, root\nAnyone@Example.NET  bin\n@catchall.test  root\nexact@catchall.test  bin\n' >"$D/virtual"
pf_postmap "hash:$D/virtual" 2>"$TMP/postmap.err"
CV=$(conf virt db="$D/pf-aliases.db" maps="hash:$D/virtual" local_domains=example.org)
run "$MAILOPS" -c "$CV" aliases show Sales@Example.org
expect_eq "show_consults_virtual_map" "sales@example.org:jane, root" "$OUT"
run "$MAILOPS" -c "$CV" -o tsv aliases expand sales@example.org
expect_match "expand_through_virtual_map" $'^0\talias\tsales@example.org' "$OUT"
expect_match "expand_virtual_then_aliases" $'^2\tuser\tdaemon' "$OUT"
run "$MAILOPS" -c "$CV" -o tsv aliases who jane
expect_match "who_finds_virtual_key" $'^sales@example.org\t1\t' "$OUT"
# The domain's catch-all "@domain", after the address itself.
run "$MAILOPS" -c "$CV" aliases show Whoever@CatchAll.test
expect_eq "show_catchall_domain_key" "@catchall.test:root" "$OUT"
run "$MAILOPS" -c "$CV" aliases show exact@catchall.test
expect_eq "show_exact_address_before_catchall" "exact@catchall.test:bin" "$OUT"
run "$MAILOPS" -c "$CV" -o tsv aliases expand whoever@catchall.test
expect_match "expand_through_catchall" $'^0\talias\twhoever@catchall.test\t\tcatch-all @catchall.test' "$OUT"
expect_match "expand_catchall_target" $'^1\talias\troot\t' "$OUT"
expect_rc "expand_catchall_deliverable" 0 "$MAILOPS" -c "$CV" aliases expand whoever@catchall.test
run "$MAILOPS" -c "$CV" -o tsv aliases expand exact@catchall.test
expect_match "expand_exact_before_catchall" $'^1\tuser\tbin\t' "$OUT"
run "$MAILOPS" -c "$CV" -o tsv aliases who root
expect_match "who_finds_catchall_key" $'^@catchall.test\t1\t@catchall.test -> root$' "$OUT"

# ---- a db that mixes keys with and without their NUL ----
printf 'withnul\\00\nv1\\00\nplain\nv2\n@\\00\n@\\00\nboth\nwithout\nboth\\00\nwith\\00\n' | db5.3_load -T -t hash "$D/mixed.db"
CM=$(conf mixed db="$D/mixed.db")
run "$MAILOPS" -c "$CM" aliases show WithNul
expect_eq "mixed_db_nul_key_found" "withnul:v1" "$OUT"
run "$MAILOPS" -c "$CM" aliases show plain
expect_eq "mixed_db_plain_key_found" "plain:v2" "$OUT"
run "$MAILOPS" -c "$CM" aliases list --all
expect_eq "mixed_db_listed_without_nuls" "@:@ both:with both:without plain:v2 withnul:v1" "$(printf '%s\n' "$OUT" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
# "both" and "both\0": sendmail finds the one with the NUL; so do show and expand.
run "$MAILOPS" -c "$CM" aliases show both
expect_eq "both_keys_show_takes_nul_record" "both:with" "$OUT"
run "$MAILOPS" -c "$CM" -o tsv aliases expand both
expect_match "both_keys_expand_takes_nul_record" $'^1\t[a-z]+\twith\t' "$OUT"

# ---- build: what newaliases and postalias would write ----
run "$MAILOPS" aliases build --yes "$D/aliases" "$D/built.db"
expect_eq "build_exits_0" 0 "$RC"
expect_match "build_reports_rejected_lines" 'aliases:30: missing colon' "$ERR"
cp "$D/aliases" "$D/again"
sm_newaliases "$D/again" >/dev/null 2>&1
if [ "$(records "$D/built.db")" = "$(records "$D/again.db")" ] && [ -n "$(records "$D/built.db")" ]; then
	ok "build_records_equal_newaliases"
else
	not_ok "build_records_equal_newaliases" "$(diff <(records "$D/again.db") <(records "$D/built.db") | head)"
fi
expect_eq "build_writes_at_record" " @\\00	 @\\00" "$(records "$D/built.db" | grep -F ' @\00	')"
sm_praliases "$D/built" >"$TMP/built.pr" 2>/dev/null
expect_eq "praliases_reads_build" "$(sm_praliases "$D/again" 2>/dev/null)" "$(cat "$TMP/built.pr")"

for f in pf-aliases pf-layouts; do
	run "$MAILOPS" aliases build --yes --postfix "$D/$f" "$D/$f-built.db"
	expect_eq "build_postfix_exits_0 ($f)" 0 "$RC"
	if [ "$(records "$D/$f-built.db" | grep -v YP_LAST)" = "$(records "$D/$f.db" | grep -v YP_LAST)" ]; then
		ok "build_postfix_records_equal_postalias ($f)"
	else
		not_ok "build_postfix_records_equal_postalias ($f)" "$(diff <(records "$D/$f.db") <(records "$D/$f-built.db") | head)"
	fi
done
mv "$D/pf-aliases-built.db" "$D/pf-built.db"
expect_match "build_postfix_writes_yp_last_modified" '^ YP_LAST_MODIFIED	 [0-9]+$' "$(records "$D/pf-built.db")"
pf_postalias -q root "hash:$D/pf-built" >"$TMP/pfq" 2>&1
expect_eq "postalias_reads_postfix_build" "daemon" "$(cat "$TMP/pfq")"

# Replacing a db keeps its owner and mode.
chown nobody:mail "$D/built.db"
chmod 0640 "$D/built.db"
run "$MAILOPS" aliases build --yes "$D/aliases" "$D/built.db"
expect_eq "rebuild_keeps_owner_and_mode" "nobody:mail 640" "$(stat -c '%U:%G %a' "$D/built.db")"
expect_eq "rebuild_leaves_no_temporary" "" "$(ls "$D" | grep mailops)"
expect_rc "build_missing_text_exits_66" 66 "$MAILOPS" aliases build --yes "$D/nonexistent" "$D/x.db"
# Replacing a db is destructive: --yes, or --dry-run to check the text only.
sum=$(md5sum <"$D/built.db")
printf 'only: root\n' >"$D/small"
run "$MAILOPS" aliases build "$D/small" "$D/built.db"
expect_eq "rebuild_without_yes_exits_1" 1 "$RC"
expect_match "rebuild_without_yes_says_so" 'built\.db exists: building replaces it; nothing written without --yes' "$ERR"
expect_eq "rebuild_without_yes_writes_nothing" "$sum" "$(md5sum <"$D/built.db")"
run "$MAILOPS" -o tsv aliases build --dry-run "$D/small" "$D/built.db"
expect_eq "build_dry_run_counts_and_writes_nothing" "0 1 $sum" "$RC $(printf '%s\n' "$OUT" | tail -1 | cut -f2) $(md5sum <"$D/built.db")"
# never over the text itself, a directory, or a file that is no db
cp "$D/small" "$D/small.keep"
expect_rc "build_over_its_text_exits_64" 64 "$MAILOPS" aliases build --yes "$D/small" "$D/small"
expect_eq "build_over_its_text_keeps_it" "" "$(cmp "$D/small" "$D/small.keep")"
echo precious >"$D/notes.txt"
expect_rc "build_over_a_non_db_exits_64" 64 "$MAILOPS" aliases build --yes "$D/small" "$D/notes.txt"
expect_eq "build_over_a_non_db_keeps_it" "precious" "$(cat "$D/notes.txt")"
expect_rc "build_into_a_directory_exits_64" 64 "$MAILOPS" aliases build --yes "$D/small" "$D"

# ---- bad input: a clear error, exit 65/66/77, nothing written ----
C3=$(conf bad db="$D/bad.db")
head -c 5000 "$D/aliases.db" >"$D/bad.db"
expect_rc "truncated_db_exits_65" 65 "$MAILOPS" -c "$C3" aliases list
expect_match "truncated_db_error_names_file" "bad.db" "$ERR"
printf 'root: alice\n' >"$D/bad.db"
expect_rc "text_file_as_db_exits_65" 65 "$MAILOPS" -c "$C3" aliases show root
expect_match "text_file_as_db_says_not_a_db" "not a Berkeley DB hash or btree file" "$ERR"
head -c 12288 /dev/urandom >"$D/bad.db"
expect_rc "random_bytes_exit_65" 65 "$MAILOPS" -c "$C3" aliases list
# A bucket page overwritten (the same bytes every run): libdb gives up on
# it, and so does the list: 65 naming the file, and not a line of output.
cp "$D/aliases.db" "$D/bad.db"
head -c 4096 /dev/zero | tr '\0' '\377' | dd of="$D/bad.db" bs=4096 seek=1 conv=notrunc 2>/dev/null
run "$MAILOPS" -c "$C3" aliases list --all
if [ "$RC" = 65 ] && [ -z "$OUT" ] && printf '%s' "$ERR" | grep -q "bad.db: corrupt database"; then
	ok "corrupt_page_no_crash"
else
	not_ok "corrupt_page_no_crash" "exit $RC (wanted 65, no output, the file named)" "stdout: $OUT" "stderr: $ERR"
fi
printf 'r1\tx\n' | db5.3_load -t recno -T "$D/recno.db" 2>/dev/null || printf 'x\n' | db5.3_load -t recno -T "$D/recno.db"
expect_rc "recno_db_exits_65" 65 "$MAILOPS" -c "$(conf recno db="$D/recno.db")" aliases list
expect_match "recno_db_named" "recno" "$ERR"
expect_rc "missing_db_exits_66" 66 "$MAILOPS" -c "$(conf miss db="$D/miss.db" text="$D/miss")" aliases list
expect_match "missing_db_says_no_such_file" "miss.db: no such file" "$ERR"
cp "$D/aliases.db" "$D/perm.db"
chown root:smmsp "$D/perm.db" 2>/dev/null || chown root:mail "$D/perm.db"
chmod 0640 "$D/perm.db"
grp=$(stat -c %G "$D/perm.db")
run setpriv --reuid=nobody --regid=nogroup --clear-groups "$MAILOPS" -c "$(conf perm db="$D/perm.db")" aliases show root
expect_eq "permission_denied_exits_77" 77 "$RC"
expect_match "permission_error_names_group" "member of group $grp" "$ERR"
expect_eq "no_db_environment_files_left" "" "$(ls -A "$D" "$PWD" | grep '^__db')"
expect_eq "nothing_left_in_working_directory" "" "$(ls -A "$PWD")"
# A text-only host whose text file may not be read: 77, not 66.
cp "$D/aliases" "$D/perm-text"
chmod 0600 "$D/perm-text"
CP=$(conf permtext db="$D/perm-none.db" text="$D/perm-text")
for verb in list "show root"; do
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$MAILOPS" -c "$CP" aliases $verb
	expect_eq "unreadable_text_exits_77: ${verb%% *}" 77 "$RC"
done
expect_match "unreadable_text_names_owner" "perm-text: permission denied \(mode 0600, owner root\)" "$ERR"
chown root:mail "$D/perm-text"
chmod 0640 "$D/perm-text"
run setpriv --reuid=nobody --regid=nogroup --clear-groups "$MAILOPS" -c "$CP" aliases list
expect_match "unreadable_text_names_group" "run as root or as a member of group mail" "$ERR"
# A FIFO where the db should be: an error at once, not a hang.
mkfifo "$D/fifo.db"
run timeout 5 "$MAILOPS" -c "$(conf fifo db="$D/fifo.db")" aliases list
expect_eq "fifo_db_exits_65" 65 "$RC"
expect_match "fifo_db_not_regular" "not a regular file" "$ERR"

# ---- locking: a rebuild in progress is a tempfail, never "no such alias" ----
C4=$(conf lock db="$D/aliases.db" lock_wait_ms=400)
flock -x "$D/aliases.db" sleep 3 &
holder=$!
sleep 0.2
start=$(date +%s%N)
run "$MAILOPS" -c "$C4" aliases show root
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "locked_show_exits_75" 75 "$RC"
expect_match "locked_says_being_rebuilt" "alias database is being rebuilt" "$ERR"
if [ "$ms" -ge 350 ] && [ "$ms" -lt 2500 ]; then ok "locked_waits_lock_wait_ms"; else not_ok "locked_waits_lock_wait_ms" "$ms ms"; fi
run "$MAILOPS" -c "$C4" aliases list
expect_eq "locked_list_exits_75" 75 "$RC"
# A reader that waits longer than the rebuild gets the answer.
run "$MAILOPS" -c "$(conf lock2 db="$D/aliases.db" lock_wait_ms=8000)" aliases show root
expect_eq "lock_released_then_answered" "root:alice" "$OUT"
wait "$holder"
# A rebuild that rewrites the db in place (same inode) while a reader waits
# for the lock: the reader reads the file as it is once the lock is its own.
seq -f 'inplace%g: root' 1 3000 >"$D/inplace"
"$MAILOPS" aliases build --yes "$D/inplace" "$D/inplace-new.db" >/dev/null 2>&1
cp "$D/aliases.db" "$D/inplace.db"
CI=$(conf inplace db="$D/inplace.db" lock_wait_ms=8000)
flock -x "$D/inplace.db" sh -c ': >"$1"; sleep 1; cat "$2" >"$1"' sh "$D/inplace.db" "$D/inplace-new.db" &
holder=$!
sleep 0.3
run "$MAILOPS" -c "$CI" aliases list
wait "$holder"
expect_eq "reader_waiting_during_in_place_rewrite_exits_0" "0:" "$RC:$ERR"
expect_eq "reader_waiting_during_in_place_rewrite_lists_new_db" "3000 inplace1:root" \
	"$(printf '%s\n' "$OUT" | wc -l) $(printf '%s\n' "$OUT" | grep -x 'inplace1:root')"
# The same rewrite leaving a db whose scan fails half way (a page of it
# overwritten): 65, and nothing on stdout, not the rows read before.
awk 'BEGIN { for (i = 1; i <= 60000; i++) printf "user%d: %0100d\n", i, i }' >"$D/half"
"$MAILOPS" aliases build --yes "$D/half" "$D/half.db" >/dev/null 2>&1
pages=$(( $(stat -c %s "$D/half.db") / 4096 ))
head -c 4096 /dev/zero | tr '\0' '\377' | dd of="$D/half.db" bs=4096 seek=$((pages * 8 / 10)) conv=notrunc 2>/dev/null
for fmt in text tsv; do
	cp "$D/aliases.db" "$D/inplace.db"
	flock -x "$D/inplace.db" sh -c ': >"$1"; sleep 1; cat "$2" >"$1"' sh "$D/inplace.db" "$D/half.db" &
	holder=$!
	sleep 0.3
	run "$MAILOPS" -c "$CI" -o $fmt aliases list
	wait "$holder"
	expect_eq "failed_scan_prints_nothing ($fmt)" "65 0" "$RC $(printf '%s' "$OUT" | wc -c)"
	expect_match "failed_scan_says_corrupt ($fmt)" "inplace.db: corrupt database" "$ERR"
done

# Readers hold a shared lock only: a rebuild (exclusive) is not blocked by a
# reader that has finished, and flock -x gets it at once.
"$MAILOPS" -c "$C" aliases list >/dev/null
if flock -x -w 1 "$D/aliases.db" true; then ok "reader_released_lock"; else not_ok "reader_released_lock"; fi

# ---- a concurrent reader never sees a partial db ----
seq -f 'user%g: root' 1 20000 >"$D/big"
printf 'tail: root\n' >>"$D/big"
"$MAILOPS" aliases build --yes "$D/big" "$D/big.db" >/dev/null 2>&1
CB=$(conf big db="$D/big.db" lock_wait_ms=10000)
( for i in 1 2 3 4 5 6; do "$MAILOPS" aliases build --yes "$D/big" "$D/big.db" >/dev/null 2>&1; done ) &
builder=$!
bad=0
reads=0
why=""
while kill -0 "$builder" 2>/dev/null; do
	n=$("$MAILOPS" -c "$CB" aliases list 2>"$TMP/reader.err" | wc -l)
	reads=$((reads + 1))
	[ "$n" = 20001 ] || { bad=$((bad + 1)); why="$why [$n rows: $(head -c 200 "$TMP/reader.err")]"; }
done
wait "$builder"
if [ "$bad" = 0 ] && [ "$reads" -gt 0 ]; then ok "reader_during_build_sees_whole_db ($reads reads)"; else not_ok "reader_during_build_sees_whole_db" "$bad of $reads reads saw another count:$why"; fi

done_testing
