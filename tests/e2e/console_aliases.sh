#!/usr/bin/env bash
# The Aliases tab in tmux, over a db built by sendmail's newaliases: the
# header, the filter on keys and values, the expansion tree (folding), who
# reaches an address and the jump back to the alias, the check with a jump
# to each problem, a rebuild's lock shown and then the list after it, a
# rebuild not blocked by the open console and picked up by itself, and
# hostile bytes in a value shown escaped.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../console.sh"
. "$(dirname "$0")/../mta.sh"
DATA=$ROOT/tests/data/aliases
D=$MTA_DIR/c
mkdir -p "$D"
chmod 755 "$D"
sed "s|@DIR@|$D|g" "$DATA/expand.aliases" >"$D/aliases"
cp "$DATA/expand-list.inc" "$D/list.inc"
cp "$DATA/expand-nested.inc" "$D/nested.inc"
sm_newaliases "$D/aliases" >/dev/null 2>&1
touch -d '-10 sec' "$D/aliases"
printf '[aliases]\ndb = %s/aliases.db\nlock_wait_ms = 300\n' "$D" >"$TMP/c.conf"
N=$(grep -c '^[A-Za-z]' "$D/aliases")

console_start 100 30
console_run -c "$TMP/c.conf"
keys 2
expect_screen "header_names_db_type_count_state" "^$D/aliases.db  hash  $N aliases  complete"
expect_screen "list_shows_alias_and_value" '^postmaster +root'

# '/' filters on keys and values.
keys /
keys_literal nested.inc
expect_screen "filter_on_value" '^nested +list, :include:'
expect_no_screen "filter_hides_others" '^postmaster '
keys Escape
keys /
keys_literal loop
keys Enter
expect_screen "filter_on_key" '^loopa +loopb'

# Enter: the expansion tree; Enter on a node folds it.
keys / C-u Enter
keys /
keys_literal MAILER-DAEMON
keys Enter Enter
expect_screen "tree_header" '^Expansion of mailer-daemon, as sendmail -bv walks it: 4 nodes, 1 leaves, all deliverable'
expect_screen "tree_root_unfolded" '^- mailer-daemon +alias'
expect_screen "tree_leaf_indented" '^      +daemon +user'
keys Enter
expect_screen "tree_node_folds" '^\+ mailer-daemon +alias'
expect_no_screen "folded_children_hidden" 'postmaster +alias'
keys +
expect_screen "plus_unfolds_all" '^  - postmaster +alias'

# w on a node of the tree: who reaches it; Enter jumps to that alias.
keys G w
expect_screen "who_from_tree_node" '^Who reaches daemon: [0-9]+ aliases'
expect_screen "who_lists_path" 'mailer-daemon +3 +mailer-daemon -> postmaster -> root -> daemon'
keys /
keys_literal 'postmaster ->'
keys Enter Enter
expect_screen "who_enter_jumps_back_to_tab" "^$D/aliases.db  hash"
keys Enter
expect_screen "jumped_to_postmaster" '^Expansion of postmaster,'
keys q
expect_screen "q_closes_tree" "^$D/aliases.db  hash"

# c: the check, with a jump to the alias of a finding.
keys c
expect_screen "check_runs_and_finishes" '^Check: [0-9]+ findings' 10
expect_screen "check_lists_loop" 'fail +loop +loop[abc]'
expect_screen "check_lists_missing_include" 'missing-include +badinc'
keys /
keys_literal missing-include
keys Enter Enter
expect_screen "check_enter_jumps_to_alias" "^$D/aliases.db  hash"
keys Enter
expect_screen "jumped_to_badinc" '^Expansion of badinc, .*NOT all deliverable'
expect_screen "tree_shows_include_fault" 'missing-include +Cannot open'
keys q q

# A rebuild holds the lock: the header says so, then the list comes.
cp "$D/aliases.db" "$D/locked.db"
printf '[aliases]\ndb = %s/locked.db\ntext = %s/aliases\n' "$D" "$D" >"$TMP/l.conf"
flock -x "$D/locked.db" sleep 3 &
holder=$!
sleep 0.3
console_start 100 30
console_run -c "$TMP/l.conf"
keys 2
expect_screen "locked_state_shown" 'LOCKED: being rebuilt; retrying'
# A verb from the prompt runs in a child of its own: it waits for the lock
# as in batch mode while the console keeps answering, then shows its answer.
keys :
keys_literal 'aliases show root'
keys Enter
expect_screen "prompt_verb_waits_for_lock" 'running :aliases show root' 2
keys '?'
expect_screen "keys_answer_while_prompt_verb_waits" 'go to tab N' 2
keys q
wait "$holder"
expect_screen "prompt_verb_answers_after_release" '^root:daemon' 5
keys q
expect_screen "list_after_lock_released" "^$D/locked.db  hash  $N aliases  complete" 5
expect_screen "rows_after_lock_released" '^postmaster +root'

# The open console does not block a rebuild, and reloads by itself.
printf 'zz-new-alias: root\n' >>"$D/aliases"
start=$(date +%s%N)
"$MAILOPS" aliases build --yes "$D/aliases" "$D/locked.db" >/dev/null 2>&1
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$ms" -lt 2000 ]; then ok "rebuild_not_blocked_by_loaded_console ($ms ms)"; else not_ok "rebuild_not_blocked_by_loaded_console" "$ms ms"; fi
expect_screen "reload_after_rebuild" "^$D/locked.db  hash  $((N + 1)) aliases  complete" 5
keys G
expect_screen "new_alias_listed" '^zz-new-alias +root'
# A build from the prompt, of the db the tab shows: done, and picked up.
printf 'zz-from-prompt: root\n' >>"$D/aliases"
keys :
keys_literal "aliases build --yes $D/aliases $D/locked.db"
keys Enter
expect_screen "build_from_prompt_output_in_pager" '^DB +ALIASES +REJECTED +LAYOUT' 5
keys q
expect_screen "build_from_prompt_reloads_tab" "^$D/locked.db  hash  $((N + 2)) aliases  complete" 5
# The text file edited after the build: out of date.
sleep 1.1
printf 'zz-newer: root\n' >>"$D/aliases"
expect_screen "out_of_date_shown" 'OUT OF DATE \(text file newer\)' 5
keys q

# A reload that fails (the db replaced by a file that is not a db) says so
# in the header; it does not call the stale rows complete.
cp "$D/aliases.db" "$D/fail.db"
printf '[aliases]\ndb = %s/fail.db\n' "$D" >"$TMP/f.conf"
console_start 160 30
console_run -c "$TMP/f.conf"
keys 2
expect_screen "failing_reload_first_load_complete" "^$D/fail.db  hash  $N aliases  complete"
printf 'root: alice\n' >"$D/fail.tmp"
mv "$D/fail.tmp" "$D/fail.db"
expect_screen "failed_reload_shown_in_header" "^$D/fail.db  hash  $N aliases  READ FAILED \(showing the last snapshot\): not a Berkeley DB" 5
expect_no_screen "failed_reload_not_complete" "aliases  complete"
cp "$D/aliases.db" "$D/fail.tmp"
mv "$D/fail.tmp" "$D/fail.db"
expect_screen "good_db_again_complete" "^$D/fail.db  hash  $N aliases  complete" 5
keys q

# A big db: the console reading it holds no lock of its own. Stopped the
# moment its reader starts (as Ctrl-Z would), it still does not keep a
# rebuild waiting: the reader finishes and the lock goes with it.
awk 'BEGIN { for (i = 1; i <= 200000; i++) printf "big%06d\tt%d, u%d@example.org\n", i, i % 5000, i; print "@\t@" }' |
	sm_makemap -N hash "$D/big"
printf '[aliases]\ndb = %s/big.db\n' "$D" >"$TMP/b.conf"
console_start 160 30
# Without job control the shell keeps waiting for the stopped console (with
# it, bash would take the terminal back and leave the console stopped).
keys_literal "set +m"
keys Enter
console_run -c "$TMP/b.conf"
keys 2
panepid=$(tm display -p -t t '#{pane_pid}')
pid=
for _ in $(seq 1 500); do pid=$(pgrep -P "$panepid" -x mailops) && break; sleep 0.01; done
for _ in $(seq 1 2000); do pgrep -P "$pid" >/dev/null && break; done
kill -STOP "$pid"
start=$(date +%s%N)
if flock -x -w 3 "$D/big.db" true; then
	ok "rebuild_not_blocked_by_console ($(( ($(date +%s%N) - start) / 1000000 )) ms with the console stopped)"
else
	not_ok "rebuild_not_blocked_by_console" "flock -x waited 3 s for the stopped console"
fi
kill -CONT "$pid"
# A stop and continue from outside (the console does not know it was
# stopped) can leave stray rows over the header until a full repaint: look
# for the state anywhere on the screen.
expect_screen "big_db_read_after_continue" "200000 aliases  complete" 15
keys q

# Hostile bytes in a value never reach the terminal raw.
printf 'evil: a\033[2Jb\033]52;c;aGFja2Vk\ac\n' >"$D/evil"
"$MAILOPS" aliases build --yes "$D/evil" "$D/evil.db" >/dev/null 2>&1
printf '[aliases]\ndb = %s/evil.db\n' "$D" >"$TMP/e.conf"
console_start 100 30
console_run -c "$TMP/e.conf"
keys 2
expect_screen "hostile_value_escaped" '^evil +a\\x1b\[2Jb\\x1b\]52;c;aGFja2Vk\\x07c'
if [ -z "$(tm list-buffers 2>/dev/null)" ]; then ok "osc52_in_value_did_not_set_clipboard"; else not_ok "osc52_in_value_did_not_set_clipboard"; fi
keys q
expect_screen "quits_cleanly" '^EXIT=0$'

done_testing
