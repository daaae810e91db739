#!/usr/bin/env bash
# The Overview tab (the first tab) in tmux against real memcached servers:
# one stopped turns its row FAIL while the run ends within its deadline,
# the header counts the statuses, and Enter on a row opens the tab that
# explains it: a server's row the Cache tab, the prefix's row the Cache
# tab filtered on the prefix.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../console.sh"
. "$(dirname "$0")/../memcached.sh"

if ! mc_start 2; then
	not_ok "memcached_started"
	done_testing
	exit 1
fi
mc_fill 0 20 'ca:r:user' 'valid 250 2.1.5 1764000000 mx -'
mc_fill 0 5 'other:' 'x'
mc_stop 1
: >"$TMP/mail.log"
{
	printf '[aliases]\ndb = %s/none.db\n' "$TMP"
	printf '[cache]\nservers = 127.0.0.1:%s, 127.0.0.1:%s\nconnect_timeout_ms = 300\nread_timeout_ms = 300\n' \
		"${MC_PORT[0]}" "${MC_PORT[1]}"
	printf '[doctor]\nlog = %s/mail.log\ndeadline = 5\n' "$TMP"
} >"$TMP/c.conf"

console_start 160 40
console_run -c "$TMP/c.conf"
expect_screen "overview_is_first_tab" '^ 1 Overview  2 Aliases' 5
expect_screen "stopped_server_row_fails" "^cache +127\\.0\\.0\\.1:${MC_PORT[1]} +FAIL +down" 10
expect_screen "live_server_row_ok" "^cache +127\\.0\\.0\\.1:${MC_PORT[0]} +OK +up [0-9]+ ms" 10
expect_screen "prefix_row_counts_entries" '^cache +ca: +OK +20 entries' 10
expect_screen "header_counts_statuses" '^[1-9][0-9]* FAIL, [0-9]+ WARN, [0-9]+ UNKNOWN, [0-9]+ OK  checked' 10

# Enter on the FAIL row: the Cache tab, which shows the server DOWN.
keys /
keys_literal down
keys Enter
expect_screen "filter_keeps_the_fail_row" "^cache +127\\.0\\.0\\.1:${MC_PORT[1]} +FAIL" 3
keys Enter
expect_screen "enter_jumps_to_cache_tab" '^2 servers, 1 up, DOWN: ' 5
# Back to the Overview; Enter on the prefix row opens the Cache tab filtered on it.
keys 1
keys / C-u
keys_literal entries
keys Enter
expect_screen "prefix_row_selected" '^cache +ca: +OK +20 entries' 3
keys Enter
expect_screen "jump_sets_cache_filter" 'filter: ca:' 5
expect_screen "filtered_cache_rows" '^ca:r:user[0-9]+ ' 5
expect_no_screen "unrelated_keys_filtered_out" '^other:'
# d shows the whole row with its advice in the pager.
keys 1
keys / C-u
keys_literal down
keys Enter d
expect_screen "d_shows_advice" '^advice: +start memcached' 3
keys q q
expect_screen "quits" '^EXIT=0$' 5

done_testing
