#!/usr/bin/env bash
# mailops callahead against the faults no real server produces on demand
# (tests/peers/smtp_fault.pl on 127.0.0.1): each scenario gives the state
# the filter must see, within a bound on wall time, and never a DATA. The
# cache (a real memcached) keeps only what DESIGN §7 says it keeps.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../memcached.sh"

if ! mc_start 1; then
	not_ok "memcached_started"
	done_testing
	exit 1
fi
MC="127.0.0.1:${MC_PORT[0]}"
PEER_N=0
PEER_PID=
PEER_PORT=
PEER_LOG=
peer() { # peer SCENARIO [--addr A --port P]: starts the fault peer, sets PEER_PORT and PEER_LOG
	PEER_N=$((PEER_N + 1))
	PEER_LOG=$TMP/peer$PEER_N.log
	: >"$PEER_LOG"
	perl "$ROOT/tests/peers/smtp_fault.pl" --portfile "$TMP/peer$PEER_N.port" --log "$PEER_LOG" "$@" 2>>"$TMP/peer.err" &
	PEER_PID=$!
	at_exit "kill $PEER_PID"
	for _ in $(seq 1 100); do [ -s "$TMP/peer$PEER_N.port" ] && break; sleep 0.02; done
	PEER_PORT=$(cat "$TMP/peer$PEER_N.port" 2>/dev/null)
}
peer_stop() { kill "$PEER_PID" 2>/dev/null; wait "$PEER_PID" 2>/dev/null; }
conf() { # conf NAME [KEY=VALUE...] ([callahead] keys)
	local f=$TMP/$1.conf
	shift
	{
		printf '[cache]\nservers = %s\nnamespace = md:\n' "$MC"
		printf '[dns]\nservers = %s\ntimeout_ms = 1000\ntries = 1\n' "${MAILOPS_TEST_DNS:-127.0.0.1:9}"
		printf '[callahead]\nhelo = probe.mailops.test\nconnect_timeout = 3\nreply_timeout = 3\nquit_timeout = 1\n'
		for kv in "$@"; do printf '%s\n' "${kv/=/ = }"; done
	} >"$f"
	echo "$f"
}
field() { printf '%s\n' "$OUT" | awk -F'\t' -v c="$1" -v a="$2" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next } $h["address"] == a { print $h[c] }'; }
# probe NAME SCENARIO WANT_STATE MAX_MS [mailops args...]: one address x@fault.test
probe() {
	local name=$1 scen=$2 want=$3 max=$4
	shift 4
	peer "$scen"
	local C start ms
	C=$(conf "$name" "server=127.0.0.1:$PEER_PORT")
	start=$(date +%s%N)
	run "$MAILOPS" -c "$C" -o tsv callahead "$@"
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	local addr=${*: -1}
	local got
	got=$(field state "$addr")
	if [ "$got" = "$want" ] && [ "$ms" -le "$max" ]; then
		ok "$name ($got in $ms ms)"
	else
		not_ok "$name" "wanted $want within $max ms, got '$got' in $ms ms" "stdout: $OUT" "stderr: $ERR" "$(tail -20 "$PEER_LOG")"
	fi
	if grep -q ' C: DATA' "$PEER_LOG"; then not_ok "${name}_never_data" "$(cat "$PEER_LOG")"; fi
}
mc_has() { mc_cmd 0 "mg md:$1 v" | tr -d '\r' | sed -n 2p; }

probe "accept_250_valid" accept valid 3000 x@fault.test
expect_eq "accept_code_and_dsn" "250 2.1.5" "$(field code x@fault.test) $(field dsn x@fault.test)"
expect_match "valid_cached" '^valid 250 2\.1\.5 [0-9]+ 127\.0\.0\.1 Ok$' "$(mc_has ca:r:x@fault.test)"
peer_stop
probe "multiline_550_invalid" reject-multiline invalid 3000 y@fault.test
expect_eq "multiline_code" "550 5.1.1" "$(field code y@fault.test) $(field dsn y@fault.test)"
expect_match "multiline_text_kept_whole" 'does not exist\.\\n5\.1\.1 Please try double-checking\\n5\.1\.1 user unknown$' \
	"$(field text y@fault.test)"
peer_stop
probe "tempfail_451" tempfail451 tempfail 3000 --no-cache z@fault.test
expect_eq "tempfail_451_code" "451 4.3.0" "$(field code z@fault.test) $(field dsn z@fault.test)"
peer_stop
# A tempfail never overwrites what is cached.
kept="valid 250 2.1.5 1764000000 mx.fault.test Ok"
mc_cmd 0 "set md:ca:r:keep@fault.test 0 600 ${#kept}" "$kept" >/dev/null
peer tempfail451
CT=$(conf keep "server=127.0.0.1:$PEER_PORT")
run "$MAILOPS" -c "$CT" -o tsv callahead --no-cache keep@fault.test
expect_eq "tempfail_answer_without_cache" "tempfail" "$(field state keep@fault.test)"
expect_eq "tempfail_with_no_cache_keeps_entry" "valid 250 2.1.5 1764000000 mx.fault.test Ok" "$(mc_has ca:r:keep@fault.test)"
mc_cmd 0 "delete md:ca:r:keep@fault.test" >/dev/null
run "$MAILOPS" -c "$CT" -o tsv callahead greylist@fault.test
expect_eq "tempfail_not_cached" "" "$(mc_has ca:r:greylist@fault.test)"
peer_stop
probe "rate_limited_452" ratelimit452 rate-limited 3000 --no-cache r@fault.test
expect_eq "rate_limited_exit_75" 75 "$RC"
peer_stop
probe "null_sender_refused" null-sender-refused sender-refused 3000 s@fault.test
expect_eq "sender_refused_code" "550 5.7.1" "$(field code s@fault.test) $(field dsn s@fault.test)"
expect_eq "sender_refused_no_recipient_entry" "" "$(mc_has ca:r:s@fault.test)"
expect_match "sender_refused_domain_fact" '^refused 550 5\.7\.1 ' "$(mc_has ca:d:fault.test)"
mc_cmd 0 "delete md:ca:d:fault.test" >/dev/null
run "$MAILOPS" -c "$TMP/null_sender_refused.conf" -o tsv callahead --no-cache --from probe@mailops.test s2@fault.test
expect_eq "other_sender_accepted" "valid" "$(field state s2@fault.test)"
expect_match "from_option_sent" ' C: MAIL FROM:<probe@mailops.test>' "$(cat "$PEER_LOG")"
peer_stop
probe "tls_required_530" tls530 tls-required 3000 --no-cache t@fault.test
peer_stop
probe "slow_banner_times_out" slow-banner tempfail 6000 --no-cache u@fault.test
expect_match "slow_banner_reason" 'no reply to banner in 3000 ms' "$(field text u@fault.test)"
peer_stop
probe "silence_after_rcpt_times_out" silent-after-rcpt tempfail 6000 --no-cache v@fault.test
expect_match "silence_reason" 'no reply to RCPT TO in 3000 ms' "$(field text v@fault.test)"
peer_stop
probe "421_ends_session" 421-close tempfail 3000 --no-cache w@fault.test
expect_match "421_reason" '421 4\.7\.0 fault\.test closing' "$(field text w@fault.test)"
expect_eq "421_no_quit_after" 0 "$(grep -c ' C: QUIT' "$PEER_LOG")"
expect_eq "421_retried_once_in_a_new_session" 2 "$(grep -c ' CONNECT ' "$PEER_LOG")"
peer_stop
probe "reset_after_rcpt" reset-after-rcpt tempfail 3000 --no-cache x2@fault.test
expect_match "reset_reason" '[Rr]eset|closed' "$(field text x2@fault.test)"
peer_stop
probe "garbage_banner" garbage-banner tempfail 3000 --no-cache g@fault.test
expect_match "garbage_reason" 'not an SMTP reply' "$(field text g@fault.test)"
peer_stop
probe "long_line_kept" long-line valid 3000 --no-cache l@fault.test
tl=$(field text l@fault.test | wc -c)
if [ "$tl" -ge 2000 ] && [ "$tl" -le 2050 ]; then ok "long_line_cut_near_2048 ($tl)"; else not_ok "long_line_cut_near_2048" "$tl bytes"; fi
peer_stop
probe "bare_lf_replies" bare-lf valid 3000 --no-cache b@fault.test
peer_stop
probe "ehlo_502_then_helo" ehlo502 valid 3000 --no-cache --transcript h@fault.test
expect_match "helo_sent_after_502" ' C: HELO probe\.mailops\.test' "$(cat "$PEER_LOG")"
expect_match "transcript_column" '<- 502 5\.5\.1 EHLO not supported\\n.*-> HELO probe\.mailops\.test' "$(field transcript h@fault.test)"
# In text form the dialogue follows its row: header, row, then the lines.
run "$MAILOPS" -c "$TMP/ehlo_502_then_helo.conf" callahead --no-cache --transcript h@fault.test
expect_match "text_transcript_header_first" '^ADDRESS +STATE' "$(printf '%s\n' "$OUT" | sed -n 1p)"
expect_match "text_transcript_row_second" '^h@fault\.test +valid' "$(printf '%s\n' "$OUT" | sed -n 2p)"
expect_match "text_transcript_dialogue_after_row" '<- 502 5\.5\.1 EHLO not supported' "$(printf '%s\n' "$OUT" | sed -n '3,$p')"
peer_stop
# starttls = required and a server that does not offer it: tempfail with
# the reason, and nothing sent past EHLO in the clear.
peer accept
run "$MAILOPS" -c "$(conf notls "server=127.0.0.1:$PEER_PORT" "starttls=required")" -o tsv callahead --no-cache n@fault.test
expect_eq "starttls_required_not_offered_tempfail" "tempfail 75" "$(field state n@fault.test) $RC"
expect_match "starttls_required_not_offered_says_why" 'STARTTLS not offered \(starttls = required\)' "$(field text n@fault.test)"
expect_nomatch "starttls_required_no_mail_in_clear" ' C: MAIL FROM' "$(cat "$PEER_LOG")"
peer_stop
probe "accept_all_detected" accept-all accept-all 3000 --accept-all-probe a@fault.test
expect_match "accept_all_probe_sent_random" ' C: RCPT TO:<nx-[0-9a-f]+@fault\.test>' "$(cat "$PEER_LOG")"
# The probe is a transaction of its own: RSET, MAIL, then the random RCPT.
expect_match "accept_all_probe_after_rset" 'C: RCPT TO:<a@fault\.test> C: RSET C: MAIL FROM:<> C: RCPT TO:<nx-' \
	"$(grep ' C: ' "$PEER_LOG" | sed 's/^[0-9]* [0-9]* //' | tr '\n' ' ')"
expect_match "accept_all_domain_fact" '^accept-all 250 2\.1\.5 ' "$(mc_has ca:d:fault.test)"
run "$MAILOPS" -c "$TMP/accept_all_detected.conf" -o tsv callahead other@fault.test
expect_eq "accept_all_served_from_cache" "accept-all cache" "$(field state other@fault.test) $(field source other@fault.test)"
mc_cmd 0 "delete md:ca:d:fault.test" >/dev/null
peer_stop
peer pipelining
CP=$(conf pipe "server=127.0.0.1:$PEER_PORT")
run "$MAILOPS" -c "$CP" -o tsv callahead --no-cache p1@fault.test unknown2@fault.test p3@fault.test
expect_eq "pipelined_answers" "valid invalid valid" \
	"$(field state p1@fault.test) $(field state unknown2@fault.test) $(field state p3@fault.test)"
expect_match "pipelined_burst" ' BURST [3-9]' "$(cat "$PEER_LOG")"
expect_eq "pipelined_one_session" 1 "$(grep -c ' CONNECT ' "$PEER_LOG")"
run "$MAILOPS" -c "$CP" -o tsv callahead --no-cache --accept-all-probe q1@fault.test unknown3@fault.test
expect_eq "pipelined_accept_all_probe" "accept-all invalid" "$(field state q1@fault.test) $(field state unknown3@fault.test)"
peer_stop
probe "no_221_bounded" no-221 valid 3000 --no-cache n@fault.test
peer_stop
probe "banner_554_refused" banner-554 tempfail 3000 k@fault.test
expect_match "banner_554_reason" '554 5\.7\.1 no service' "$(field text k@fault.test)"
expect_match "banner_554_domain_refused" '^refused 554 5\.7\.1 ' "$(mc_has ca:d:fault.test)"
run "$MAILOPS" -c "$TMP/banner_554_refused.conf" -o tsv callahead k2@fault.test
expect_eq "refused_domain_not_probed_again" "tempfail cache" "$(field state k2@fault.test) $(field source k2@fault.test)"
expect_eq "refused_domain_no_new_connection" 1 "$(grep -c ' CONNECT ' "$PEER_LOG")"
mc_cmd 0 "delete md:ca:d:fault.test" >/dev/null
peer_stop

# The first MX refuses the connection, the second answers (two-mx.test:
# mx1 127.0.0.1, mx2 127.0.0.2, both on the peer's port).
if [ -n "${MAILOPS_TEST_DNS:-}" ]; then
	peer --addr 127.0.0.2 accept
	CM=$(conf mx "mx_port=$PEER_PORT" allow_private=yes)
	run "$MAILOPS" -c "$CM" -o tsv callahead --no-cache x@two-mx.test
	expect_eq "second_mx_answers" "valid" "$(field state x@two-mx.test)"
	expect_match "second_mx_named" '^mx2\.two-mx\.test \[127\.0\.0\.2\]' "$(field server x@two-mx.test)"
	peer_stop
else
	not_ok "dns_peer_running" "MAILOPS_TEST_DNS is not set (tests/run starts dnsmasq)"
fi

# A server that never answers does not hold the others: 3 addresses, one
# hanging, with -j 3 all answer within about one reply timeout.
peer silent-after-rcpt
hang=$PEER_PORT
peer accept
printf 'fast.test [127.0.0.1]:%s\nhang.test [127.0.0.1]:%s\n' "$PEER_PORT" "$hang" >"$TMP/routes"
CR=$(conf routes "routes=$TMP/routes")
start=$(date +%s%N)
run "$MAILOPS" -c "$CR" -o tsv callahead --no-cache -j 3 a@hang.test b@fast.test c@fast.test
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "hang_does_not_hold_others" "tempfail valid valid" \
	"$(field state a@hang.test) $(field state b@fast.test) $(field state c@fast.test)"
if [ "$ms" -lt 6000 ]; then ok "hang_bounded ($ms ms)"; else not_ok "hang_bounded" "$ms ms"; fi
fast_ms=$(field elapsed_ms b@fast.test)
if [ "$fast_ms" -lt 1500 ]; then ok "fast_answer_not_delayed ($fast_ms ms)"; else not_ok "fast_answer_not_delayed" "$fast_ms ms"; fi

done_testing
