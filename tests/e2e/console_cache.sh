#!/usr/bin/env bash
# The Cache tab in tmux over three real memcached servers filled by the
# filter's own client: the pool header, keys with decoded states, the value
# on Enter, delete and flush-what-is-shown behind a y/N question (n changes
# nothing, y deletes exactly those keys), stats on i, a server going DOWN,
# and a listing of 200k keys during which the keys still answer.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../console.sh"
. "$(dirname "$0")/../memcached.sh"
W="perl $ROOT/tests/helpers/cm_write.pl"
if ! mc_start 3; then
	not_ok "memcached_started"
	done_testing
	exit 1
fi
S="127.0.0.1:${MC_PORT[0]} 127.0.0.1:${MC_PORT[1]} 127.0.0.1:${MC_PORT[2]}"
printf '[cache]\nservers = %s\nnamespace = md:\nread_timeout_ms = 1000\n[aliases]\ndb = %s/none.db\n' "$S" "$TMP" >"$TMP/c.conf"
now=$(date +%s)
{
	for i in $(seq 1 12); do echo "ca:r:good$i@example.org valid 250 2.1.5 $((now - 60)) mx.example.org Ok"; done
	for i in $(seq 1 5); do echo "ca:r:bad$i@example.org invalid 550 5.1.1 $((now - 30)) mx.example.org User unknown"; done
	echo "ca:d:catchall.example accept-all 250 - $now mx.catchall.example -"
} | $W --servers "$S" --namespace md: >/dev/null
count() { # count PATTERN: keys of the namespace matching on all servers
	for i in 0 1 2; do mc_dump "$i"; done | grep -c "$1"
}

console_start 120 40
console_run -c "$TMP/c.conf"
keys 2
expect_screen "header_summarises_pool" '^3 servers, 3 up  18 items' 5
expect_screen "rows_show_decoded_state" '^ca:r:bad1@example.org .* invalid +550'
expect_screen "accept_all_domain_entry" '^ca:d:catchall.example .* accept-all +250'
expect_no_screen "namespace_not_shown" 'md:ca:'

# Enter: the value from the key's server.
keys /
keys_literal good3@
keys Enter Enter
expect_screen "enter_shows_value" "^valid 250 2.1.5 $((now - 60)) mx.example.org Ok"
expect_screen "value_pager_decodes_state" '^state: +valid'
keys q

# d on the selected key: n keeps it, y deletes it everywhere.
keys d
expect_screen "delete_asks_first" 'Delete ca:r:good3@example.org from every server of the pool \(3\)\? \[y/N\]'
keys n
expect_screen "n_cancels" 'cancelled: nothing changed'
expect_eq "key_still_there_after_n" 1 "$(count 'good3%40')"
keys d
keys y
expect_screen "y_deletes" 'delete ca:r:good3@example.org: 1 deleted'
expect_eq "key_gone_after_y" 0 "$(count 'good3%40')"

# F: every key shown (the filter) after a question naming the count.
keys / C-u
keys_literal invalid
keys Enter
keys F
expect_screen "flush_asks_with_count" 'Delete the 5 keys shown \([0-9]+ bytes\) on [0-9] servers?\? \[y/N\]'
keys Escape
expect_eq "flush_cancel_keeps_keys" 5 "$(count 'bad[0-9]%40')"
keys F y
expect_screen "flush_reports" 'flush of 5 shown keys: 5 deleted, 0 already gone, 0 errors'
expect_eq "flush_deleted_exactly_those" "0 11" "$(count 'bad[0-9]%40') $(count 'good[0-9]*%40')"

# i: the pool's stats (s sorts, as in every list).
keys i
expect_screen "i_shows_stats" '^127.0.0.1:'"${MC_PORT[1]}"' +up +1\.6'
keys q

# A server goes down: the header says so at the next refresh.
mc_stop 2
expect_screen "down_server_in_header" '^3 servers, 2 up, DOWN: 127.0.0.1:'"${MC_PORT[2]}" 9
keys q
expect_screen "quits" '^EXIT=0$'
mc_restart 2

# 200k keys: rows arrive while the console answers keys.
mc_fill 0 200000 md:bulk: 'valid 250 2.1.5 1764000000 mx -'
console_start 120 40
console_run -c "$TMP/c.conf"
keys 2
keys '?'
expect_screen "help_answers_during_listing" 'go to tab N' 3
keys q
expect_screen "all_200k_listed" '^3 servers, 3 up .*[0-9]+ items' 20
for _ in $(seq 1 300); do
	screen | grep -q 'listing\.\.\.' || break
	sleep 0.2
done
keys G
expect_screen "last_rows_reachable" '^(ca:|bulk:)' 5
n=$(screen | tail -1 | grep -oE '/[0-9]+' | tr -d /)
if [ -n "$n" ] && [ "$n" -ge 200000 ]; then ok "list_has_200k_rows ($n)"; else not_ok "list_has_200k_rows" "$(screen | tail -1)"; fi
keys q
expect_screen "quits_after_big_list" '^EXIT=0$'
done_testing
