#!/usr/bin/env bash
# Expansion and reverse look-up against sendmail itself: for every alias of
# a fixture that uses only system users, the leaves mailops finds (and the
# loops, depth limits, unknown users and missing include files it flags)
# are what `sendmail -bv` reports for the same database.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../mta.sh"
DATA=$ROOT/tests/data/aliases
D=$MTA_DIR/x
mkdir -p "$D"
chmod 755 "$D"
sed "s|@DIR@|$D|g" "$DATA/expand.aliases" >"$D/aliases"
cp "$DATA/expand-list.inc" "$D/list.inc"
cp "$DATA/expand-nested.inc" "$D/nested.inc"
sm_newaliases "$D/aliases" >"$TMP/bi.out" 2>&1
expect_eq "fixture_built_by_newaliases" yes "$([ -s "$D/aliases.db" ] && echo yes)"
C=$TMP/x.conf
printf '[aliases]\ndb = %s/aliases.db\n' "$D" >"$C"

# Which spelling of a duplicated local user sendmail prints is not
# meaningful ("daemon, Daemon"): local names compare case-folded.
fold() { awk '{ if ($0 !~ /\//) $0 = tolower($0); print }' | LC_ALL=C sort -u; }
# What sendmail -bv says, one outcome per line, sorted.
sm_outcomes() {
	sm_verify "$D/aliases" "$1" 2>&1 | sed -n \
		-e 's/^"\{0,1\}\(.*[^"]\)"\{0,1\}\.\.\. deliverable: .*/deliverable \1/p' \
		-e 's/^\(.*\)\.\.\. User unknown$/unknown \1/p' \
		-e 's/^aliasing\/forwarding loop broken (.*aliases deep.*/too-deep/p' \
		-e 's/^aliasing\/forwarding loop broken$/loop/p' \
		-e 's/^:include:\(.*\)\.\.\. Cannot open .*/missing-include \1/p' | fold
}
# The same from mailops' expansion tree.
our_outcomes() {
	"$MAILOPS" -c "$C" -o json aliases expand "$1" | jq -r '
		if .fault == "loop" then "loop"
		elif .fault == "too-deep" then "too-deep"
		elif .fault == "missing-include" then "missing-include " + (.address | sub("^:include:"; ""))
		elif .fault == "unknown-user" or .kind == "error" then "unknown " + .address
		elif .duplicate then empty
		elif (.kind == "user" or .kind == "program" or .kind == "file" or .kind == "remote") then "deliverable " + .address
		else empty end' | fold
}

names=$(grep -E '^[A-Za-z]' "$D/aliases" | cut -d: -f1)
for a in $names nosuchname; do
	want=$(sm_outcomes "$a")
	got=$(our_outcomes "$a")
	if [ -n "$want" ] && [ "$want" = "$got" ]; then
		ok "expand_agrees_with_sendmail_bv: $a"
	else
		not_ok "expand_agrees_with_sendmail_bv: $a" "sendmail -bv:" "$want" "mailops:" "$got"
	fi
done

# Exit codes follow sendmail -bv's sense: 0 only when all can be delivered.
expect_rc "expand_deliverable_exits_0" 0 "$MAILOPS" -c "$C" aliases expand postmaster
expect_rc "expand_unknown_user_exits_1" 1 "$MAILOPS" -c "$C" aliases expand list
expect_rc "expand_loop_exits_1" 1 "$MAILOPS" -c "$C" aliases expand loopa
expect_rc "expand_not_an_alias_not_a_user_exits_1" 1 "$MAILOPS" -c "$C" aliases expand nosuchname

# The tree: depth column, owner-X beside X, duplicates marked.
run "$MAILOPS" -c "$C" -o tsv aliases expand list
expect_match "tree_has_depth_column" $'^depth\tkind\taddress\tfault\tnote\tduplicate$' "$OUT"
expect_match "owner_shown_beside_list" $'^0\talias\tlist\t\terrors to owner-list: root' "$OUT"
expect_match "request_shown_beside_list" $'^0\talias\tlist\t\t[^\t]*requests to list-request: bin\t' "$OUT"
expect_match "include_members_one_level_deeper" $'^2\tuser\tnobody\t' "$OUT"
expect_match "duplicate_marked" $'\tdaemon\t\t\ttrue$' "$OUT"
run "$MAILOPS" -c "$C" aliases expand MAILER-DAEMON
expect_eq "text_tree_is_indented" "MAILER-DAEMON  [alias]
  postmaster  [alias]
    root  [alias]
      daemon  [user]" "$OUT"
run "$MAILOPS" -c "$C" -o json aliases expand d1
expect_eq "depth_limit_at_eleven" 11 "$(printf '%s\n' "$OUT" | jq -s 'map(select(.fault == "too-deep")) | .[0].depth')"

# ---- who: every alias reaching a target, through include files too ----
run "$MAILOPS" -c "$C" -o tsv aliases who nobody
expect_match "who_direct_chain" $'^d12\t1\td12 -> nobody$' "$OUT"
expect_match "who_through_include_file" $'^list\t1\tlist -> :include:'"$D"$'/list.inc -> nobody$' "$OUT"
expect_match "who_through_nested_include" $'^nested\t1\tnested -> :include:'"$D"$'/nested.inc -> nobody$' "$OUT"
expect_match "who_transitive_depth_2" $'^d11\t2\td11 -> d12 -> nobody$' "$OUT"
run "$MAILOPS" -c "$C" -o tsv aliases who daemon
expect_match "who_via_root" $'^postmaster\t2\tpostmaster -> root -> daemon$' "$OUT"
expect_match "who_three_deep" $'^mailer-daemon\t3\tmailer-daemon -> postmaster -> root -> daemon$' "$OUT"
expect_match "who_case_folded_target" $'^dups\t1\t' "$OUT"
run "$MAILOPS" -c "$C" -o tsv aliases who "$D/box"
expect_match "who_file_target" $'^mixed\t1\t' "$OUT"
expect_rc "who_nothing_exits_1" 1 "$MAILOPS" -c "$C" aliases who nosuchtarget
# An include file that includes another: the whole chain is on the path.
printf 'lvl1: :include:%s/outer.inc\n' "$D" >"$D/chain"
printf ':include:%s/inner.inc\n' "$D" >"$D/outer.inc"
printf 'deepuser\n' >"$D/inner.inc"
"$MAILOPS" aliases build --yes "$D/chain" "$D/chain.db" >/dev/null 2>&1
run "$MAILOPS" -c <(printf '[aliases]\ndb = %s/chain.db\n' "$D") -o tsv aliases who deepuser
expect_eq "who_path_names_include_chain" "lvl1	1	lvl1 -> :include:$D/outer.inc -> :include:$D/inner.inc -> deepuser" \
	"$(printf '%s\n' "$OUT" | sed 1d)"
# Every alias sendmail expands to daemon is in who's answer.
missing=""
for a in $names; do
	a=$(printf '%s' "$a" | tr 'A-Z' 'a-z')
	[ "$a" = root ] && continue
	if sm_outcomes "$a" | grep -qx 'deliverable daemon'; then
		"$MAILOPS" -c "$C" -o tsv aliases who daemon | cut -f1 | grep -qx "$a" || missing="$missing $a"
	fi
done
expect_eq "who_finds_every_alias_sendmail_delivers_to_daemon" "" "$missing"

done_testing
