#!/usr/bin/env bash
# Single DNS questions (dns_lookup) as the doctor asks them, against a real
# dnsmasq: A, AAAA, MX and TXT answers with their status (a DNSBL listing
# and its reason, NXDOMAIN for an address not listed, NODATA, REFUSED), a
# timeout reported in time, a dead server, a channel per server
# (loop_dns_server) whose answers do not wait on each other's, the default
# channel alongside, cancelled questions that never call back, questions
# answered from loop_free(), and DNSBL names.
. "$(dirname "$0")/../lib.sh"
LK=$TESTBIN/dns_lookup

if [ -z "${MAILOPS_TEST_DNS:-}" ] || [ -z "${MAILOPS_TEST_SLOWDNS:-}" ]; then
	not_ok "dns_peers_running" "dnsmasq or the slow forwarder did not start (tests/run)"
	done_testing
	exit
fi
DNS=$MAILOPS_TEST_DNS
SLOW=$MAILOPS_TEST_SLOWDNS
TAB=$'\t'
# answer SERVER NAME TYPE: that answer's line in $OUT, without the server
answer() { printf '%s\n' "$OUT" | awk -F'\t' -v s="$1" -v n="$2" -v t="$3" \
	'$1 == s && $2 == n && $3 == t { sub(/^[^\t]*\t/, ""); print }'; }
# field SERVER NAME TYPE COL: one column of that answer (4 status, 5 ms)
field() { printf '%s\n' "$OUT" | awk -F'\t' -v s="$1" -v n="$2" -v t="$3" -v c="$4" \
	'$1 == s && $2 == n && $3 == t { print $c }'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# lookup ARGS...: dns_lookup through run; remembers a non-zero exit (a
# callback from inside dns_lookup, twice, after cancel, or never) and any
# sanitizer report, asserted once at the end.
BAD=""
lookup() {
	run "$LK" "$@"
	if [ "$RC" != 0 ]; then BAD+="exit $RC: dns_lookup $*"$'\n'"$ERR"$'\n'; fi
	case $ERR in *Sanitizer* | *"runtime error"*) BAD+="sanitizer: dns_lookup $*"$'\n'"$ERR"$'\n' ;; esac
}

# ---- the zone, through a channel of the server's own ----
lookup 2000 1 "$DNS" 7.2.0.192.bl.test A "$DNS" 7.2.0.192.bl.test TXT "$DNS" 8.2.0.192.bl.test A \
	"$DNS" one-mx.test MX "$DNS" two-mx.test MX "$DNS" a-only.test AAAA "$DNS" a-only.test A \
	"$DNS" a-only.test MX "$DNS" split-txt.test TXT "$DNS" nx.test MX "$DNS" example.com A
expect_eq "lookup_exits_0" 0 "$RC"
expect_match "dnsbl_listed_a_answer" "^7.2.0.192.bl.test${TAB}A${TAB}ok${TAB}[0-9]+${TAB}127.0.0.2\$" \
	"$(answer "$DNS" 7.2.0.192.bl.test A)"
expect_match "dnsbl_reason_txt_whole" \
	"^7.2.0.192.bl.test${TAB}TXT${TAB}ok${TAB}[0-9]+${TAB}Listed: spam trap hit, see https://bl.test/192.0.2.7\$" \
	"$(answer "$DNS" 7.2.0.192.bl.test TXT)"
expect_eq "dnsbl_not_listed_is_nxdomain" "nxdomain" "$(field "$DNS" 8.2.0.192.bl.test A 4)"
expect_eq "dnsbl_not_listed_has_no_items" "8.2.0.192.bl.test${TAB}A${TAB}nxdomain" \
	"$(answer "$DNS" 8.2.0.192.bl.test A | cut -f1-3,5-)"
expect_match "mx_item_is_pref_and_host" "^one-mx.test${TAB}MX${TAB}ok${TAB}[0-9]+${TAB}10 mx.one-mx.test\$" \
	"$(answer "$DNS" one-mx.test MX)"
expect_eq "several_mx_several_items" "10 mx1.two-mx.test,20 mx2.two-mx.test" \
	"$(answer "$DNS" two-mx.test MX | cut -f5- | tr '\t' '\n' | sort | paste -sd,)"
expect_match "aaaa_answer" "^a-only.test${TAB}AAAA${TAB}ok${TAB}[0-9]+${TAB}::1\$" "$(answer "$DNS" a-only.test AAAA)"
expect_match "a_answer" "^a-only.test${TAB}A${TAB}ok${TAB}[0-9]+${TAB}127.0.0.3\$" "$(answer "$DNS" a-only.test A)"
expect_eq "no_record_of_type_is_nodata" "nodata" "$(field "$DNS" a-only.test MX 4)"
# One record of two strings is one item, joined; two records are two items.
expect_eq "txt_strings_joined_records_apart" "second record|v=spf1 -all" \
	"$(answer "$DNS" split-txt.test TXT | cut -f5- | tr '\t' '\n' | sort | paste -sd'|')"
expect_eq "unknown_name_is_nxdomain" "nxdomain" "$(field "$DNS" nx.test MX 4)"
# dnsmasq has no upstream for names outside .test: it answers REFUSED.
expect_eq "refused_answer_is_refused" "refused" "$(field "$DNS" example.com A 4)"
ms=$(field "$DNS" one-mx.test MX 5)
if [ -n "$ms" ] && [ "$ms" -lt 1000 ]; then ok "ms_measured_for_fast_answer"; else not_ok "ms_measured_for_fast_answer" "$OUT"; fi

# ---- a slow answer: 300 ms, one try, the forwarder 3 s late ----
t0=$(now_ms)
lookup 300 1 "$SLOW" slow.test MX
wall=$(($(now_ms) - t0))
expect_eq "slow_server_times_out" "timeout" "$(field "$SLOW" slow.test MX 4)"
ms=$(field "$SLOW" slow.test MX 5)
if [ -n "$ms" ] && [ "$ms" -ge 250 ] && [ "$ms" -lt 2500 ]; then ok "timeout_ms_near_configured"; else not_ok "timeout_ms_near_configured" "$OUT"; fi
if [ "$wall" -lt 2500 ]; then ok "timeout_reported_well_before_answer"; else not_ok "timeout_reported_well_before_answer" "$wall ms" "$OUT"; fi

# ---- nothing listening: refused (ICMP) or a timeout, not a hang ----
port=$(free_port)
t0=$(now_ms)
lookup 300 1 "127.0.0.1:$port" two-mx.test MX
wall=$(($(now_ms) - t0))
expect_match "dead_server_is_timeout_or_refused" '^(timeout|refused)$' "$(field "127.0.0.1:$port" two-mx.test MX 4)"
if [ "$wall" -lt 2500 ]; then ok "dead_server_reported_in_time"; else not_ok "dead_server_reported_in_time" "$wall ms"; fi

# ---- two servers and the default channel in one process ----
# The same name to the slow forwarder and to dnsmasq itself: the fast
# server's answer must not wait for the slow one's.
lookup --default "$DNS" --servers 6000 1 "$SLOW" slow.test MX "$DNS" slow.test MX default one-mx.test MX \
	"$SLOW" two-mx.test MX "$DNS" 7.2.0.192.bl.test A
expect_eq "two_servers_exit_0" 0 "$RC"
expect_eq "slow_server_answers_last" "$SLOW${TAB}slow.test" \
	"$(printf '%s\n' "$OUT" | grep -Ev '^(servers|channels)' | tail -1 | cut -f1,2)"
fast_ms=$(field "$DNS" slow.test MX 5)
slow_ms=$(field "$SLOW" slow.test MX 5)
if [ -n "$fast_ms" ] && [ "$fast_ms" -lt 1500 ]; then ok "fast_server_not_held_by_slow_one"; else not_ok "fast_server_not_held_by_slow_one" "$OUT"; fi
if [ -n "$slow_ms" ] && [ "$slow_ms" -ge 2900 ]; then ok "slow_server_answers_late"; else not_ok "slow_server_answers_late" "$OUT"; fi
expect_match "slow_server_still_answers" "^slow.test${TAB}MX${TAB}ok${TAB}[0-9]+${TAB}10 mx.slow.test\$" "$(answer "$SLOW" slow.test MX)"
expect_match "fast_name_via_slow_server_not_held" "^two-mx.test${TAB}MX${TAB}ok${TAB}" "$(answer "$SLOW" two-mx.test MX)"
ms=$(field "$SLOW" two-mx.test MX 5)
if [ -n "$ms" ] && [ "$ms" -lt 1500 ]; then ok "same_channel_other_name_not_held"; else not_ok "same_channel_other_name_not_held" "$OUT"; fi
expect_match "default_channel_answers_alongside" "^one-mx.test${TAB}MX${TAB}ok${TAB}[0-9]+${TAB}10 mx.one-mx.test\$" \
	"$(answer default one-mx.test MX)"
expect_eq "one_channel_per_distinct_server" "channels${TAB}3" "$(printf '%s\n' "$OUT" | grep '^channels')"
expect_eq "server_channel_lists_its_server" "servers${TAB}$SLOW${TAB}$SLOW" \
	"$(printf '%s\n' "$OUT" | awk -F'\t' -v s="$SLOW" '$1 == "servers" && $2 == s')"
expect_eq "default_channel_lists_its_server" "servers${TAB}default${TAB}$DNS" \
	"$(printf '%s\n' "$OUT" | awk -F'\t' '$1 == "servers" && $2 == "default"')"

# loop_dns_servers: the port c-ares uses when none is given, IPv6 in brackets.
lookup --servers 300 1 "::1" a.test A "[::1]:5353" a.test A
expect_eq "servers_default_port_and_ipv6" "servers${TAB}::1${TAB}[::1]:53|servers${TAB}[::1]:5353${TAB}[::1]:5353" \
	"$(printf '%s\n' "$OUT" | grep '^servers' | paste -sd'|')"

# ---- cancel, no channel, a bad name, loop_free with questions in flight ----
lookup --cancel --stop-after 300 6000 1 "$SLOW" slow.test MX "$DNS" one-mx.test MX none one-mx.test A "$DNS" bad..name A
expect_eq "cancel_and_stop_exit_0" 0 "$RC"
expect_eq "no_channel_is_error" "error" "$(field none one-mx.test A 4)"
expect_eq "bad_name_is_error" "error" "$(field "$DNS" bad..name A 4)"
expect_eq "answered_before_stop" "ok" "$(field "$DNS" one-mx.test MX 4)"
# The slow question is still in flight at 300 ms: loop_free() answers it.
expect_eq "pending_question_answered_by_loop_free" "error" "$(field "$SLOW" slow.test MX 4)"

# ---- servers refused ----
expect_rc "bad_server_is_config_error" 78 "$LK" 300 1 "not an address" a.test A
expect_rc "server_list_is_config_error" 78 "$LK" 300 1 "127.0.0.1,127.0.0.2" a.test A

# ---- DNSBL names ----
run "$LK" --dnsbl bl.test 192.0.2.7 2001:db8::1 ::ffff:192.0.2.7 not-an-ip 300.1.1.1
expect_eq "dnsbl_name_ipv4_reversed" "192.0.2.7${TAB}7.2.0.192.bl.test" "$(printf '%s\n' "$OUT" | sed -n 1p)"
expect_eq "dnsbl_name_ipv6_32_nibbles" \
	"2001:db8::1${TAB}1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test" "$(printf '%s\n' "$OUT" | sed -n 2p)"
expect_eq "dnsbl_name_mapped_ipv4_as_ipv4" "::ffff:192.0.2.7${TAB}7.2.0.192.bl.test" "$(printf '%s\n' "$OUT" | sed -n 3p)"
expect_eq "dnsbl_name_refuses_non_address" "not-an-ip${TAB}-|300.1.1.1${TAB}-" "$(printf '%s\n' "$OUT" | sed -n 4,5p | paste -sd'|')"

# The name dns_dnsbl_name makes is the one the zone lists.
name=$(printf '%s\n' "$OUT" | sed -n 1p | cut -f2)
lookup 2000 1 "$DNS" "$name" A
expect_eq "dnsbl_name_found_in_zone" "ok" "$(field "$DNS" "$name" A 4)"

if [ -z "$BAD" ]; then ok "callbacks_once_from_loop_no_sanitizer_report"; else not_ok "callbacks_once_from_loop_no_sanitizer_report" "$BAD"; fi
done_testing
