#!/usr/bin/env bash
# The Cache tab in tmux over three real memcached servers filled by the
# filter's own client: the pool header, keys with decoded states, the value
# on Enter, delete (the question names the servers holding a copy) and
# flush-what-is-shown behind a y/N question (n and Ctrl-C change nothing,
# y deletes exactly those keys; rows are marked only when the deletes are
# answered), a key the text protocol cannot carry, stats on i, a server
# going DOWN, a server named by a host name (resolved through [dns]
# servers), and a listing of 200k keys during which the keys still answer.
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
# Three keys that only server 2 holds (written there directly): flushed
# while it is down, below.
v="valid 250 2.1.5 $now mx.example.org Ok"
for i in 1 2 3; do mc_cmd 2 "set md:ca:r:s2-$i@example.org 0 0 ${#v}" "$v" >/dev/null; done
# bin_set I KEY VALUE: a set over the binary protocol, which carries keys
# (here a blank) that a text command line cannot.
bin_set() {
	perl -MIO::Socket::INET -e 'my ($p, $k, $v) = @ARGV; my $s = IO::Socket::INET->new("127.0.0.1:$p") or die "$!\n";
		print $s pack("CCnCCnNNQ>", 0x80, 1, length $k, 8, 0, 0, 8 + length($k) + length($v), 0, 0), pack("NN", 0, 0), $k, $v;
		sysread($s, my $r, 24) == 24 or die "no reply\n"; my @h = unpack("CCnCCn", $r); exit($h[5] ? 1 : 0)' "${MC_PORT[$1]}" "$2" "$3"
}
bin_set 0 "md:ca:r:sp ace@example.org" "$v"
count() { # count PATTERN: keys of the namespace matching on all servers
	for i in 0 1 2; do mc_dump "$i"; done | grep -c "$1"
}
# DNS: "127.0.0.1:PORT" of a real DNS server serving the test zone
# (mx1.two-mx.test is 127.0.0.1): tests/run's, or one started here (and
# stopped at exit), or empty when none could start.
DNS=${MAILOPS_TEST_DNS:-}
if [ -z "$DNS" ]; then
	at_exit "bash '$ROOT/tests/peers/dnsmasq.sh' stop '$TMP/dns'"
	port=$(bash "$ROOT/tests/peers/dnsmasq.sh" start "$TMP/dns" 2>"$TMP/dns.err") && DNS=127.0.0.1:$port
fi

console_start 120 40
console_run -c "$TMP/c.conf"
keys 3
expect_screen "header_summarises_pool" '^3 servers, 3 up  22 items' 5
expect_screen "unsendable_key_warned" '1 key that memcached.s text protocol cannot carry' 5
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

# d on the selected key: the question names the servers holding a copy
# (its own, and a copy written to another server since the listing); n
# keeps it, y deletes both copies.
home=0
for i in 0 1 2; do mc_dump "$i" | grep -q 'good3%40' && home=$i; done
other=$(((home + 1) % 3))
mc_cmd "$other" "set md:ca:r:good3@example.org 0 0 ${#v}" "$v" >/dev/null
lo=$((home < other ? home : other)) hi=$((home > other ? home : other))
keys d
expect_screen "delete_asks_naming_the_servers_with_a_copy" \
	"Delete ca:r:good3@example.org from 127\\.0\\.0\\.1:${MC_PORT[$lo]}, 127\\.0\\.0\\.1:${MC_PORT[$hi]}\\? \\[y/N\\]"
keys n
expect_screen "n_cancels" 'cancelled: nothing changed'
expect_eq "key_still_there_after_n" 2 "$(count 'good3%40')"
# Ctrl-C at the question says no, as n does, and leaves the console open.
keys d
expect_screen "delete_asks_again" '\[y/N\]$'
keys C-c
expect_no_screen "ctrl_c_closes_question" '\[y/N\]'
expect_no_screen "ctrl_c_at_question_does_not_quit" '^EXIT='
expect_eq "key_still_there_after_ctrl_c" 2 "$(count 'good3%40')"
keys d
expect_screen "delete_asks_a_third_time" 'Delete ca:r:good3@example.org from .*\? \[y/N\]$'
keys y
expect_screen "y_deletes_every_copy" 'delete ca:r:good3@example.org: 2 deleted, 0 already gone, 0 errors'
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
keys / C-u
keys_literal bad1@
keys Enter
expect_screen "flushed_rows_marked_once_answered" '^ca:r:bad1@example.org .* deleted'

# A key the text protocol cannot carry is never sent to the server.
keys / C-u
keys_literal 'sp ace'
keys Enter
expect_screen "unsendable_key_listed" '^ca:r:sp ace@example.org '
keys d
expect_screen "unsendable_key_not_deleted" 'sp ace@example.org: a key that memcached.s text protocol cannot carry'
expect_eq "unsendable_key_still_there" 1 "$(count 'sp%20ace')"

# i: the pool's stats (s sorts, as in every list).
keys i
expect_screen "i_shows_stats" '^127.0.0.1:'"${MC_PORT[1]}"' +up +1\.6'
keys q

# A server goes down: the header says so at the next refresh.
mc_stop 2
expect_screen "down_server_in_header" '^3 servers, 2 up, DOWN: 127.0.0.1:'"${MC_PORT[2]}" 9
# F on its keys: the deletes fail, the rows stay as they were.
keys / C-u
keys_literal s2-
keys Enter
keys F
expect_screen "flush_on_down_server_asks" 'Delete the 3 keys shown \([0-9]+ bytes\) on 1 server\? \[y/N\]'
keys y
expect_screen "flush_on_down_server_counts_errors" 'flush of 3 shown keys: 0 deleted, 0 already gone, 3 errors'
expect_no_screen "unanswered_deletes_leave_rows_unmarked" '^ca:r:s2-[0-9]@example.org .* deleted'
expect_screen "rows_keep_their_state" '^ca:r:s2-1@example.org .* valid +250'
keys q
expect_screen "quits" '^EXIT=0$'
mc_restart 2

# A server named by a host name: resolved through [dns] servers, as in
# batch mode (not only numeric addresses and localhost).
if [ -n "$DNS" ]; then
	printf '[cache]\nservers = mx1.two-mx.test:%s\nnamespace = md:\nread_timeout_ms = 1000\n[dns]\nservers = %s\n[aliases]\ndb = %s/none.db\n' \
		"${MC_PORT[0]}" "$DNS" "$TMP" >"$TMP/dns.conf"
	console_start 120 40
	console_run -c "$TMP/dns.conf"
	keys 3
	expect_screen "host_name_server_is_up" '^1 server, 1 up ' 5
	expect_screen "host_name_server_lists_its_keys" '^ca:r:[a-z0-9]+@example.org +mx1\.two-mx\.test:' 5
	keys q
	expect_screen "quits_host_name_console" '^EXIT=0$'
else
	not_ok "dns_peer_running" "$(cat "$TMP/dns.err" 2>/dev/null)"
fi

# 200k keys: rows arrive while the console answers keys.
mc_fill 0 200000 md:bulk: 'valid 250 2.1.5 1764000000 mx -'
want=$(count '^key=md%3A')
console_start 120 40
console_run -c "$TMP/c.conf"
keys 3
expect_screen "listing_starts" "reading the pool's keys" 5
keys '?'
# One capture: the help, and the listing's progress still in the status line.
if s=$(screen_wait 'go to tab N' 3) && printf '%s' "$s" | grep -q "reading the pool's keys"; then
	ok "help_answers_during_listing"
else
	not_ok "help_answers_during_listing" "help not shown while the listing ran:" "$s"
fi
keys q
# Done: the status line counts every key of the namespace, and the
# header no longer says "listing...".
expect_screen "all_200k_listed ($want)" "^[0-9]+/$want " 20
expect_no_screen "listing_over" 'listing\.\.\.'
keys G
expect_screen "last_rows_reachable" '^(ca:|bulk:)' 5
expect_screen "last_row_is_the_count" "^$want/$want " 5
keys q
expect_screen "quits_after_big_list" '^EXIT=0$'
done_testing
