#!/usr/bin/env bash
# make demo's script: opens the console on its own demo home, and stops the
# servers it started when the console closes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../console.sh"

console_start 80 24
keys_literal "DEMO_DIR=$TMP/demo MAILOPS=$MAILOPS bash $ROOT/demo/run.sh; echo EXIT=\$?"
keys Enter
expect_screen "demo_opens_console_with_six_tabs" '^ 1 Overview  2 Aliases  3 Cache  4 Callahead  5 ARF  6 Benford +mailops ?$' 10
pid=$(cat "$TMP/demo/run/memcached.pid" 2>/dev/null)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ -S "$TMP/demo/run/memcached.sock" ]; then
	ok "demo_memcached_running_on_private_socket"
else
	not_ok "demo_memcached_running_on_private_socket" "pid=$pid" "$(ls -la "$TMP/demo/run" 2>&1)"
fi
if printf 'version\r\n' | timeout 2 nc -U -q1 "$TMP/demo/run/memcached.sock" 2>/dev/null | grep -q '^VERSION' ||
	printf 'version\r\n' | timeout 2 python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"version\r\n"); print(s.recv(100).decode())' "$TMP/demo/run/memcached.sock" | grep -q '^VERSION'; then
	ok "demo_memcached_answers"
else
	not_ok "demo_memcached_answers"
fi
grep -q "servers = $TMP/demo/run/memcached.sock" "$TMP/demo/mailops.conf" && ok "demo_config_points_at_private_socket" ||
	not_ok "demo_config_points_at_private_socket" "$(cat "$TMP/demo/mailops.conf")"
# The Overview (the first tab) diagnoses the demo site: the client that
# hangs up after RCPT in its log, our address on its blocklist, a probe of
# its SMTP server that passes.
expect_screen "demo_overview_lost_after_rcpt" '^log +lost connections +WARN +6 ' 10
expect_screen "demo_overview_dnsbl_listed" '^dnsbl +192\.0\.2\.25 in bl\.example +FAIL +listed' 10
expect_screen "demo_overview_probe_valid" '^callahead +postmaster@example\.net +OK +valid 250' 10
dns_pid=$(cat "$TMP/demo/run/dns/dnsmasq.pid" 2>/dev/null)
# The Aliases tab shows the demo site's db; c finds the mistakes left in it.
keys 2
expect_screen "demo_aliases_tab_shows_db" "^$TMP/demo/aliases.db  hash  [0-9]+ aliases  complete" 5
expect_screen "demo_aliases_rows" '^postmaster +root'
keys c
expect_screen "demo_check_finds_loop" 'fail +loop +(helpdesk|supportdesk)' 10
expect_screen "demo_check_finds_missing_list" 'missing-include +former-staff'
keys q
# The Cache tab shows the entries the demo filter left in its memcached.
keys 3
expect_screen "demo_cache_tab_summary" '^1 server, 1 up  13 items' 5
expect_screen "demo_cache_invalid_entry" '^ca:r:mallory@example.org '
# The Callahead tab asks the demo's SMTP server, and the aliases first.
smtp_pid=$(cat "$TMP/demo/run/smtp.pid" 2>/dev/null)
keys 4 a
keys_literal "someone@example.net unknown1@example.net postmaster@example.org"
keys Enter Escape
expect_screen "demo_callahead_valid" '^someone@example\.net +valid +250 ' 10
expect_screen "demo_callahead_invalid" '^unknown1@example\.net +invalid +550 '
expect_screen "demo_callahead_alias_first" '^postmaster@example\.org +valid +- +- +local '
keys q
expect_screen "demo_quits" '^EXIT=0$' 10
gone=1
for _ in $(seq 1 40); do
	kill -0 "$pid" 2>/dev/null || { gone=0; break; }
	sleep 0.1
done
if [ "$gone" = 0 ]; then ok "demo_stops_memcached_on_exit"; else not_ok "demo_stops_memcached_on_exit" "pid $pid still alive"; kill -9 "$pid"; fi
if [ -n "$smtp_pid" ] && ! kill -0 "$smtp_pid" 2>/dev/null; then ok "demo_stops_smtp_on_exit"; else not_ok "demo_stops_smtp_on_exit" "pid '$smtp_pid'"; kill -9 "$smtp_pid" 2>/dev/null; fi
if [ -n "$dns_pid" ] && ! kill -0 "$dns_pid" 2>/dev/null; then ok "demo_stops_dns_on_exit"; else not_ok "demo_stops_dns_on_exit" "pid '$dns_pid'"; kill -9 "$dns_pid" 2>/dev/null; fi

done_testing
