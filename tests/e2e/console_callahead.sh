#!/usr/bin/env bash
# The Callahead tab in tmux: addresses typed (several at once) are checked
# on the console's loop against scripted SMTP peers and a real memcached;
# rows show their answers, a hanging server holds only its own row while
# the keys still answer, Enter shows the steps and the SMTP dialogue (and
# follows a running check to its end), c
# checks again past the cache, x deletes the cache entry after a question.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../console.sh"
. "$(dirname "$0")/../memcached.sh"

if ! mc_start 1; then
	not_ok "memcached_started"
	done_testing
	exit 1
fi
peer() { # peer NAME SCENARIO: port in $TMP/NAME.port
	perl "$ROOT/tests/peers/smtp_fault.pl" --portfile "$TMP/$1.port" --log "$TMP/$1.log" "$2" 2>>"$TMP/peer.err" &
	at_exit "kill $!"
	for _ in $(seq 1 100); do [ -s "$TMP/$1.port" ] && break; sleep 0.02; done
}
peer ok accept
peer hang silent-after-rcpt
printf 'fault.test [127.0.0.1]:%s\nhang.test [127.0.0.1]:%s\n' "$(cat "$TMP/ok.port")" "$(cat "$TMP/hang.port")" >"$TMP/routes"
printf '[cache]\nservers = 127.0.0.1:%s\n[callahead]\nroutes = %s\nhelo = probe.mailops.test\nreply_timeout = 4\nconnect_timeout = 4\n[aliases]\ndb = %s/none.db\n' \
	"${MC_PORT[0]}" "$TMP/routes" "$TMP" >"$TMP/c.conf"

console_start 120 40
console_run -c "$TMP/c.conf"
keys 4
expect_screen "tab_header" '0 checks, 0 running.*press a to check' 5
keys a
expect_screen "asks_for_an_address" '^Address \(Esc ends\):' 3
keys_literal "x@fault.test unknown1@fault.test"
keys Enter
keys_literal "a@hang.test"
keys Enter Escape
expect_screen "valid_row" '^x@fault\.test +valid +250 +2\.1\.5 +127\.0\.0\.1 \[127\.0\.0\.1\] +probe' 5
expect_screen "invalid_row" '^unknown1@fault\.test +invalid +550 +5\.1\.1 ' 5
expect_screen "hanging_row_shows_its_step" '^a@hang\.test +smtp\.\.\.' 3
keys '?' G
expect_screen "keys_answer_while_a_server_hangs" 'check addresses' 2
keys q
expect_screen "hang_ends_in_tempfail" '^a@hang\.test +tempfail .*no reply to RCPT TO in 4' 8
expect_screen "header_counts" '3 checks, 0 running: 1 valid, 1 invalid, 1 other' 3

# Enter on x@fault.test: steps and dialogue.
keys G
expect_screen "last_row_selected" 'x@fault' 2
keys Enter
expect_screen "detail_dialogue" '-> RCPT TO:<x@fault\.test>' 3
expect_screen "detail_reply" '<- 250 2\.1\.5 Ok' 2
keys q

# The answer was cached; x deletes it after a question.
expect_eq "cached_before_x" "VA" "$(mc_cmd 0 'mg ca:r:x@fault.test v' | tr -d '\r' | head -1 | cut -c1-2)"
keys x
expect_screen "x_asks_first" "Delete the cache entry ca:r:x@fault\\.test from 127\\.0\\.0\\.1:${MC_PORT[0]}\\? \\[y/N\\]" 3
keys n
expect_eq "n_keeps_entry" "VA" "$(mc_cmd 0 'mg ca:r:x@fault.test v' | tr -d '\r' | head -1 | cut -c1-2)"
keys x
expect_screen "x_asks_again" 'Delete the cache entry' 3
keys y
expect_screen "x_deleted" 'cache entry deleted' 3
expect_eq "entry_gone_after_y" "EN" "$(mc_cmd 0 'mg ca:r:x@fault.test v' | tr -d '\r' | head -1)"

# R checks again (from the cache when there is an entry), c past it.
keys g
keys a
keys_literal "unknown1@fault.test"
keys Enter Escape
expect_screen "recheck_from_cache" '^unknown1@fault\.test +invalid +550 +5\.1\.1 .* cache ' 5
keys c
expect_screen "c_bypasses_cache" '5 checks' 3
sleep 0.5
expect_match "c_row_is_a_probe" '^unknown1@fault\.test +invalid +550 +5\.1\.1 .* probe ' "$(screen | grep -m1 '^unknown1@')"
# A ':' command runs in a child: the console answers meanwhile, Esc stops it,
# and one that ends opens its output in the pager.
keys :
keys_literal "callahead --no-cache b@hang.test"
keys Enter
expect_screen "prompt_command_runs_in_background" 'running :callahead --no-cache b@hang\.test' 3
keys 2 4
expect_screen "tabs_switch_while_it_runs" '^5 checks' 3
keys Escape
expect_screen "esc_stops_prompt_command" ':callahead --no-cache b@hang\.test stopped' 3
keys :
keys_literal "callahead -o tsv x@fault.test"
keys Enter
expect_screen "prompt_command_output_in_pager" '^address +state +code +dsn +server' 8
keys q
# The detail of a running check follows it: opened while the server
# hangs, it shows the end when it comes, without a key pressed.
keys a
keys_literal "c@hang.test"
keys Enter Escape
expect_screen "running_row_listed" '^c@hang\.test +smtp\.\.\.' 3
keys g Enter
expect_screen "detail_of_running_check" '^state: +running \(smtp' 3
expect_screen "detail_shows_dialogue_so_far" '-> RCPT TO:<c@hang\.test>' 3
expect_screen "detail_follows_to_the_end" '^state: +tempfail' 8
expect_screen "detail_shows_why" 'no reply to RCPT TO in 4' 2
keys q
keys q
expect_screen "quits" '^EXIT=0$' 5
done_testing
