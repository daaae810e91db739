#!/usr/bin/env bash
# The event loop drives c-ares through its socket-state callback: MX
# look-ups answered by a real dnsmasq arrive through the loop, and a slow
# answer for one name blocks neither the other names nor the loop's timers.
. "$(dirname "$0")/../lib.sh"
PROBE=$TESTBIN/dns_probe

if [ -z "${MAILOPS_TEST_DNS:-}" ] || [ -z "${MAILOPS_TEST_SLOWDNS:-}" ]; then
	not_ok "dns_peers_running" "dnsmasq or the slow forwarder did not start (tests/run)"
	done_testing
	exit
fi

run "$PROBE" "$MAILOPS_TEST_DNS" 2000 1 two-mx.test nullmx.test nx.test a-only.test
expect_eq "probe_exits_0" 0 "$RC"
expect_match "first_mx_present" $'^two-mx.test\tok\t[0-9]+\t.*10:mx1.two-mx.test' "$OUT"
expect_match "second_mx_present" $'two-mx.test\tok\t[0-9]+\t.*20:mx2.two-mx.test' "$OUT"
expect_match "null_mx_is_a_dot" $'nullmx.test\tok\t[0-9]+\t0:\\.$' "$OUT"
expect_match "nxdomain_reported" $'nx.test\tDomain name not found' "$OUT"
expect_match "nodata_reported" $'a-only.test\tDNS server returned answer with no data' "$OUT"

# Slow name: 3 s late at the forwarder; the fast name must not wait for it.
run "$PROBE" "$MAILOPS_TEST_SLOWDNS" 6000 1 slow.test two-mx.test
fast_ms=$(printf '%s\n' "$OUT" | awk -F'\t' '$1 == "two-mx.test" {print $3}')
slow_ms=$(printf '%s\n' "$OUT" | awk -F'\t' '$1 == "slow.test" {print $3}')
ticks=$(printf '%s\n' "$OUT" | awk -F'\t' '$1 == "ticks" {print $2}')
first=$(printf '%s\n' "$OUT" | head -1 | cut -f1)
expect_eq "fast_name_answers_first" "two-mx.test" "$first"
if [ -n "$fast_ms" ] && [ "$fast_ms" -lt 1500 ]; then ok "fast_name_not_held_by_slow_one"; else not_ok "fast_name_not_held_by_slow_one" "$OUT"; fi
if [ -n "$slow_ms" ] && [ "$slow_ms" -ge 2900 ]; then ok "slow_name_answers_late"; else not_ok "slow_name_answers_late" "$OUT"; fi
expect_match "slow_name_still_answers" $'slow.test\tok\t[0-9]+\t10:mx.slow.test' "$OUT"
# 20 ms ticks over >= 2.9 s: at least 50 even on a loaded 2-core machine.
if [ -n "$ticks" ] && [ "$ticks" -ge 50 ]; then ok "timer_ticks_while_dns_waits"; else not_ok "timer_ticks_while_dns_waits" "$OUT"; fi

# A timeout shorter than the delay: a timeout status, reported in time.
run "$PROBE" "$MAILOPS_TEST_SLOWDNS" 500 1 slow.test
expect_match "slow_name_times_out" $'^slow.test\tTimeout while contacting DNS servers\t[0-9]+' "$OUT"
ms=$(printf '%s\n' "$OUT" | awk -F'\t' '$1 == "slow.test" {print $3}')
if [ -n "$ms" ] && [ "$ms" -ge 450 ] && [ "$ms" -lt 2500 ]; then ok "timeout_after_configured_ms"; else not_ok "timeout_after_configured_ms" "$OUT"; fi

# Nothing listening: "could not contact", not a hang.
port=$(free_port)
run timeout 10 "$PROBE" "127.0.0.1:$port" 300 1 two-mx.test
expect_match "dead_server_reported" $'^two-mx.test\t(Could not contact DNS servers|Timeout while contacting DNS servers)' "$OUT"

# A bad server list is a configuration error.
expect_rc "bad_server_list_is_config_error" 78 "$PROBE" "not an address" 500 1 two-mx.test
done_testing
