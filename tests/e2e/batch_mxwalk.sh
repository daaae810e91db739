#!/usr/bin/env bash
# Where mail for a domain goes (backend/dns.c), against a real dnsmasq:
# MX order with the port, private addresses skipped with the reason, the
# implicit MX with both families, null MX, NXDOMAIN, a timeout reported as
# a failure in time, numeric hosts without any DNS, and cancelled queries
# that never call back.
. "$(dirname "$0")/../lib.sh"
MX=$TESTBIN/mxwalk

if [ -z "${MAILOPS_TEST_DNS:-}" ] || [ -z "${MAILOPS_TEST_SLOWDNS:-}" ]; then
	not_ok "dns_peers_running" "dnsmasq or the slow forwarder did not start (tests/run)"
	done_testing
	exit
fi
DNS=$MAILOPS_TEST_DNS
TAB=$'\t'
# line NAME: the stdout line of that name in $OUT
line() { printf '%s\n' "$OUT" | awk -F'\t' -v n="$1" '$1 == n'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# walk ARGS...: mxwalk through run; remembers a non-zero exit (a callback
# from inside the call, twice, after cancel, or never) and any sanitizer
# report, asserted once at the end.
BAD=""
walk() {
	run "$MX" "$@"
	if [ "$RC" != 0 ]; then BAD+="exit $RC: mxwalk $*"$'\n'"$ERR"$'\n'; fi
	case $ERR in *Sanitizer* | *"runtime error"*) BAD+="sanitizer: mxwalk $*"$'\n'"$ERR"$'\n' ;; esac
}

# ---- the shared zone ----
walk "$DNS" 2000 1 2525 1 two-mx.test one-mx.test a-only.test nullmx.test nx.test
expect_eq "mxwalk_exits_0" 0 "$RC"
expect_eq "two_mx_in_preference_order_with_port" \
	"two-mx.test${TAB}ok${TAB}0${TAB}mx1.two-mx.test/127.0.0.1:2525 mx2.two-mx.test/127.0.0.2:2525" "$(line two-mx.test)"
expect_eq "one_mx_one_target" "one-mx.test${TAB}ok${TAB}0${TAB}mx.one-mx.test/127.0.0.1:2525" "$(line one-mx.test)"
expect_eq "no_mx_is_implicit_mx_ipv6_then_ipv4" \
	"a-only.test${TAB}ok${TAB}1${TAB}a-only.test/[::1]:2525 a-only.test/127.0.0.3:2525" "$(line a-only.test)"
expect_eq "null_mx_reported" "nullmx.test${TAB}nullmx${TAB}0${TAB}" "$(line nullmx.test)"
expect_eq "nxdomain_reported" "nx.test${TAB}nxdomain${TAB}0${TAB}" "$(line nx.test)"
expect_match "hosts_listed_with_preference" "^two-mx.test${TAB}mx1.two-mx.test${TAB}10${TAB}ok${TAB}[0-9]+${TAB}127.0.0.1${TAB}\$" "$ERR"
expect_match "implicit_host_has_both_addresses" "^a-only.test${TAB}a-only.test${TAB}-1${TAB}ok${TAB}[0-9]+${TAB}::1 127.0.0.3${TAB}" "$ERR"

# Private addresses are skipped unless allowed, each with its reason.
walk "$DNS" 2000 1 25 0 two-mx.test a-only.test
expect_match "all_loopback_mx_is_none" "^two-mx.test${TAB}none${TAB}0${TAB}${TAB}.*127.0.0.1 \(loopback\)" "$OUT"
expect_match "none_why_names_both_mx" "^two-mx.test${TAB}none${TAB}.*127.0.0.2 \(loopback\)" "$OUT"
expect_match "implicit_loopback_is_none" "^a-only.test${TAB}none${TAB}1${TAB}${TAB}.*::1 \(loopback\)" "$OUT"
expect_match "skipped_kept_per_host" "^two-mx.test${TAB}mx2.two-mx.test${TAB}20${TAB}ok${TAB}[0-9]+${TAB}127.0.0.2${TAB}127.0.0.2 \(loopback\)\$" "$ERR"

# A name the server refuses (no upstream): a failure naming the query.
walk "$DNS" 2000 1 25 1 example.com
expect_match "refused_is_fail_with_why" "^example.com${TAB}fail${TAB}0${TAB}${TAB}MX example.com: " "$OUT"

# ---- a slow answer: timeout 1000 ms, one try, 3 s late ----
t0=$(now_ms)
walk "$MAILOPS_TEST_SLOWDNS" 1000 1 25 1 slow.test two-mx.test
ms=$(($(now_ms) - t0))
expect_match "slow_name_fails_with_timeout" "^slow.test${TAB}fail${TAB}0${TAB}${TAB}MX slow.test: Timeout" "$OUT"
if [ "$ms" -lt 2500 ]; then ok "timeout_reported_in_time"; else not_ok "timeout_reported_in_time" "$ms ms"; fi
expect_eq "fast_name_answers_first" "two-mx.test" "$(printf '%s\n' "$OUT" | head -1 | cut -f1)"

# ---- configured hosts: numeric ones need no DNS at all ----
dead="127.0.0.1:$((20000 + RANDOM % 40000))"
t0=$(now_ms)
walk "$dead" 3000 1 2525 0 --host 127.0.0.9 '[::1]' '[127.0.0.1]'
ms=$(($(now_ms) - t0))
expect_eq "numeric_host_one_target" "127.0.0.9${TAB}ok${TAB}0${TAB}127.0.0.9/127.0.0.9:2525" "$(line 127.0.0.9)"
expect_eq "bracketed_ipv6_host" "[::1]${TAB}ok${TAB}0${TAB}::1/[::1]:2525" "$(line '[::1]')"
expect_eq "bracketed_ipv4_host" "[127.0.0.1]${TAB}ok${TAB}0${TAB}127.0.0.1/127.0.0.1:2525" "$(line '[127.0.0.1]')"
if [ "$ms" -lt 1000 ]; then ok "numeric_hosts_do_not_wait_for_dns"; else not_ok "numeric_hosts_do_not_wait_for_dns" "$ms ms"; fi
walk none 500 1 25 0 --host 127.0.0.9 mail.example
expect_eq "numeric_host_without_resolver" "127.0.0.9${TAB}ok${TAB}0${TAB}127.0.0.9/127.0.0.9:25" "$(line 127.0.0.9)"
expect_match "name_without_resolver_fails" "^mail.example${TAB}fail${TAB}0${TAB}${TAB}.*no DNS resolver" "$OUT"
expect_eq "no_resolver_exits_0" 0 "$RC"
walk none 500 1 25 0 two-mx.test
expect_match "mx_without_resolver_fails" "^two-mx.test${TAB}fail${TAB}0${TAB}${TAB}.*no DNS resolver" "$OUT"
walk "$DNS" 2000 1 25 0 --host nx.test a-only.test two-mx.test
expect_eq "host_not_found_is_nxdomain" "nx.test${TAB}nxdomain${TAB}0${TAB}" "$(line nx.test)"
expect_eq "host_nothing_skipped" "a-only.test${TAB}ok${TAB}0${TAB}a-only.test/[::1]:25 a-only.test/127.0.0.3:25" "$(line a-only.test)"
expect_match "host_without_address_is_noaddr" "^two-mx.test${TAB}noaddr${TAB}" "$OUT"

# ---- cancelling: the cancelled twin never calls back (mxwalk exits 70 if it does) ----
walk "$MAILOPS_TEST_SLOWDNS" 5000 1 25 1 --cancel-after 0 two-mx.test nx.test a-only.test
expect_eq "cancel_at_once_no_callback" 0 "$RC"
expect_match "cancel_at_once_others_answer" "^two-mx.test${TAB}ok${TAB}" "$OUT"
walk "$MAILOPS_TEST_SLOWDNS" 5000 1 25 1 --host --cancel-after 0 127.0.0.9 localhost
expect_eq "cancel_before_deferred_answer" 0 "$RC"
walk "$MAILOPS_TEST_SLOWDNS" 1000 1 25 1 --cancel-after 300 slow.test two-mx.test
expect_eq "cancel_while_lookup_in_flight" 0 "$RC"
# The loop freed with a query pending: it answers once, from loop_free.
walk "$MAILOPS_TEST_SLOWDNS" 5000 1 25 1 --stop-after 300 slow.test
expect_match "pending_query_answers_at_shutdown" "^slow.test${TAB}fail${TAB}0${TAB}${TAB}.*shut down" "$OUT"
expect_eq "shutdown_answer_exits_0" 0 "$RC"

# ---- what addresses are skipped ----
walk --classify 127.0.0.1 10.1.1.1 172.15.255.255 172.16.0.0 172.31.255.255 172.32.0.0 192.168.9.9 \
	169.254.1.1 100.63.255.255 100.64.0.0 100.127.255.255 100.128.0.0 0.1.2.3 224.0.0.1 240.0.0.1 \
	255.255.255.255 192.0.2.1 198.51.100.1 203.0.113.1 192.0.3.1 8.8.8.8 ::1 :: fc00::1 fdff::1 fbff::1 \
	fe80::1 febf::1 fec0::1 ff02::1 2001:db8::1 2001:db9::1 ::ffff:127.0.0.1 ::ffff:192.168.0.1 ::ffff:8.8.8.8
want="127.0.0.1 loopback|10.1.1.1 private|172.15.255.255 public|172.16.0.0 private|172.31.255.255 private|\
172.32.0.0 public|192.168.9.9 private|169.254.1.1 link-local|100.63.255.255 public|100.64.0.0 shared (CGNAT)|\
100.127.255.255 shared (CGNAT)|100.128.0.0 public|0.1.2.3 reserved|224.0.0.1 reserved|240.0.0.1 reserved|\
255.255.255.255 reserved|192.0.2.1 reserved|198.51.100.1 reserved|203.0.113.1 reserved|192.0.3.1 public|\
8.8.8.8 public|::1 loopback|:: reserved|fc00::1 private|fdff::1 private|fbff::1 public|fe80::1 link-local|\
febf::1 link-local|fec0::1 public|ff02::1 reserved|2001:db8::1 reserved|2001:db9::1 public|\
::ffff:127.0.0.1 loopback|::ffff:192.168.0.1 private|::ffff:8.8.8.8 public"
expect_eq "address_classes_and_boundaries" "$want" "$(printf '%s\n' "$OUT" | tr '\t' ' ' | paste -sd'|')"

# ---- a private dnsmasq for zones the shared one does not have ----
export DNSMASQ_EXTRA="--mx-host=eq.test,a.eq.test,10 --mx-host=eq.test,b.eq.test,10
 --host-record=a.eq.test,127.0.0.11 --host-record=b.eq.test,127.0.0.12
 --mx-host=many.test,m1.many.test,10 --mx-host=many.test,m2.many.test,20 --mx-host=many.test,m3.many.test,30
 --host-record=m1.many.test,127.0.1.1,2001:db8::1 --host-record=m2.many.test,127.0.1.2,2001:db8::2
 --host-record=m3.many.test,127.0.1.3,2001:db8::3
 --mx-host=mixed.test,p.mixed.test,10 --mx-host=mixed.test,d.mixed.test,20 --mx-host=mixed.test,l.mixed.test,30
 --mx-host=mixed.test,c.mixed.test,40 --mx-host=mixed.test,m.mixed.test,50
 --host-record=p.mixed.test,10.1.2.3 --host-record=d.mixed.test,192.0.2.7 --host-record=l.mixed.test,169.254.1.1,fe80::1
 --host-record=c.mixed.test,100.64.1.1 --host-record=m.mixed.test,::ffff:10.0.0.1
 --mx-host=dup.test,x.dup.test,10 --mx-host=dup.test,x.dup.test,20 --host-record=x.dup.test,127.0.0.30
 --mx-host=nullmix.test,.,0 --mx-host=nullmix.test,real.nullmix.test,10 --host-record=real.nullmix.test,127.0.0.40
 --mx-host=nohost.test,gone.nohost.test,10
 --mx-host=partial.test,gone.partial.test,10 --mx-host=partial.test,ok.partial.test,20
 --host-record=ok.partial.test,127.0.0.20 --mx-host=ext.test,mx.example.com,10"
at_exit "bash '$ROOT/tests/peers/dnsmasq.sh' stop '$TMP/dns'"
if ! port=$(bash "$ROOT/tests/peers/dnsmasq.sh" start "$TMP/dns" 2>"$TMP/dns.err"); then
	not_ok "private_dnsmasq_starts" "$(cat "$TMP/dns.err")"
	done_testing
	exit
fi
unset DNSMASQ_EXTRA
D2=127.0.0.1:$port

walk "$D2" 2000 1 25 1 many.test dup.test nullmix.test nohost.test partial.test ext.test
expect_eq "at_most_five_targets_in_mx_order" \
	"many.test${TAB}ok${TAB}0${TAB}m1.many.test/[2001:db8::1]:25 m1.many.test/127.0.1.1:25 m2.many.test/[2001:db8::2]:25 m2.many.test/127.0.1.2:25 m3.many.test/[2001:db8::3]:25" \
	"$(line many.test)"
expect_match "host_beyond_limit_still_listed" "^many.test${TAB}m3.many.test${TAB}30${TAB}ok${TAB}[0-9]+${TAB}2001:db8::3 127.0.1.3${TAB}" "$ERR"
expect_eq "mx_named_twice_tried_once" "dup.test${TAB}ok${TAB}0${TAB}x.dup.test/127.0.0.30:25" "$(line dup.test)"
expect_eq "null_mx_beside_real_mx_ignored" "nullmix.test${TAB}ok${TAB}0${TAB}real.nullmix.test/127.0.0.40:25" "$(line nullmix.test)"
expect_match "mx_host_not_found_is_noaddr" "^nohost.test${TAB}noaddr${TAB}0${TAB}${TAB}" "$OUT"
expect_eq "missing_mx_host_skipped_for_next" "partial.test${TAB}ok${TAB}0${TAB}ok.partial.test/127.0.0.20:25" "$(line partial.test)"
expect_match "missing_mx_host_status_kept" "^partial.test${TAB}gone.partial.test${TAB}10${TAB}Domain name not found${TAB}" "$ERR"
expect_match "mx_host_lookup_failure_is_fail" "^ext.test${TAB}fail${TAB}0${TAB}${TAB}mx.example.com: " "$OUT"

walk "$D2" 2000 1 25 0 mixed.test
for why in "10.1.2.3 (private)" "192.0.2.7 (reserved)" "fe80::1 (link-local)" "169.254.1.1 (link-local)" \
	"100.64.1.1 (shared (CGNAT))" "::ffff:10.0.0.1 (private)"; do
	case $OUT in
	*"$why"*) ok "skipped_with_reason: $why" ;;
	*) not_ok "skipped_with_reason: $why" "$OUT" ;;
	esac
done
expect_match "all_skipped_is_none" "^mixed.test${TAB}none${TAB}" "$OUT"

# Equal preferences come in random order: both orders within 30 runs.
orders=$(for _ in $(seq 1 30); do "$MX" "$D2" 2000 1 25 1 eq.test 2>/dev/null | cut -f4; done | sort -u)
expect_eq "equal_preferences_shuffled" \
	"a.eq.test/127.0.0.11:25 b.eq.test/127.0.0.12:25
b.eq.test/127.0.0.12:25 a.eq.test/127.0.0.11:25" "$orders"

if [ -z "$BAD" ]; then ok "every_walk_exits_0_without_sanitizer_reports"; else not_ok "every_walk_exits_0_without_sanitizer_reports" "$BAD"; fi

done_testing
