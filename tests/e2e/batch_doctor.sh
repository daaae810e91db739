#!/usr/bin/env bash
# mailops doctor against real peers: a real Postfix (the callahead server,
# its own maillog and its queue through postqueue -j), two real memcached
# holding keys written by the filter's Cache::Memcached, a real dnsmasq
# (test zone and the bl.test DNSBL) with the slow forwarder in front, alias
# dbs built by postalias and makemap, and the fault peer for a server that
# hangs. Each case pins the rows (status, value, detail) and exit code the
# contract gives, and that the whole run ends within [doctor] deadline.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../mta.sh"
. "$(dirname "$0")/../postfix.sh"
. "$(dirname "$0")/../memcached.sh"

DATA=$ROOT/tests/data/doctor
# defer_transports keeps mail for remote domains in the deferred queue;
# export_environment lets Postfix's sendmail run postdrop from the unpacked
# package (its libraries are found through LD_LIBRARY_PATH only).
if ! pf_start 'defer_transports = smtp' 'export_environment = TZ MAIL_CONFIG LANG LD_LIBRARY_PATH' 2>"$TMP/pf.err"; then
	not_ok "postfix_started" "$(cat "$TMP/pf.err")"
	done_testing
	exit 1
fi
if ! mc_start 2; then
	not_ok "memcached_started"
	done_testing
	exit 1
fi
DNSDIR=$TMP/dns
if ! dport=$(DNSMASQ_EXTRA="--mx-host=local.test,mx.local.test,10 --host-record=mx.local.test,127.0.0.1" \
	bash "$ROOT/tests/peers/dnsmasq.sh" start "$DNSDIR" 2>"$TMP/dns.err"); then
	not_ok "dnsmasq_started" "$(cat "$TMP/dns.err")"
	done_testing
	exit 1
fi
at_exit "bash $ROOT/tests/peers/dnsmasq.sh stop $DNSDIR"
# Two slow forwarders: slow.test 2 s late (slower than slow_ms, within the
# deadline) and 8 s late (beyond the deadline). A second directory holds
# the second one's pid; it shares dnsmasq's port file, not its pid file.
if ! sport=$(bash "$ROOT/tests/peers/dnsmasq.sh" start-slow "$DNSDIR" 2 2>"$TMP/slow.err"); then
	not_ok "slow_forwarder_started" "$(cat "$TMP/slow.err")"
	done_testing
	exit 1
fi
DNSDIR2=$TMP/dns2
mkdir -p "$DNSDIR2"
cp "$DNSDIR/dnsmasq.port" "$DNSDIR2/"
if ! sport8=$(bash "$ROOT/tests/peers/dnsmasq.sh" start-slow "$DNSDIR2" 8 2>"$TMP/slow8.err"); then
	not_ok "slow8_forwarder_started" "$(cat "$TMP/slow8.err")"
	done_testing
	exit 1
fi
at_exit "bash $ROOT/tests/peers/dnsmasq.sh stop $DNSDIR2"

MC0="127.0.0.1:${MC_PORT[0]}"
MC1="127.0.0.1:${MC_PORT[1]}"
PFQ=(env "PATH=$MTA_ROOT/usr/sbin:$PATH" "MAIL_CONFIG=$PF_I/etc")

# ---- data ----
# The alias db, built by Postfix's postalias from the text (so the text is older).
AL=$TMP/al
mkdir -p "$AL"
chmod 755 "$AL"
cp "$DATA/aliases" "$AL/aliases"
touch -d '-10 min' "$AL/aliases"
pf_postalias "hash:$AL/aliases" 2>"$TMP/postalias.err"
expect_eq "postalias_built_the_db" yes "$([ -s "$AL/aliases.db" ] && echo yes)"
# The filter's entries, written by its own Perl (Cache::Memcached, crc hash over both servers).
CA="perl $ROOT/tests/helpers/ca_cache.pl --servers $MC0,$MC1"
for a in alice bob carol sales dave erin; do $CA put "$a@local.test" valid 250 2.1.5 mx.local.test Ok >/dev/null; done
$CA put ghost@local.test invalid 550 5.1.1 mx.local.test "User unknown" >/dev/null
on0=$(mc_dump 0 | grep -c 'key=ca%3Ar%3A\|key=ca:r:')
on1=$(mc_dump 1 | grep -c 'key=ca%3Ar%3A\|key=ca:r:')
expect_eq "filter_keys_spread_over_both_servers" "7 yes yes" "$((on0 + on1)) $([ "$on0" -gt 0 ] && echo yes) $([ "$on1" -gt 0 ] && echo yes)"
# The mail log of the healthy case: ordinary lines only, stamped now.
stamp() { date -d "$1" '+%b %e %H:%M:%S'; }
NOW=$(stamp now)
OLD=$(stamp '-3 hours')
sed "s/@NOW@/$NOW/" "$DATA/ordinary.log.in" >"$TMP/ordinary.log"
ordinary_lines=$(wc -l <"$TMP/ordinary.log")

# conf NAME [SECTION.KEY=VALUE...]: the healthy configuration with overrides
# (an empty VALUE removes the key).
conf() {
	local f=$TMP/$1.conf
	shift
	declare -A kv=(
		[aliases.db]="$AL/aliases.db" [aliases.text]="$AL/aliases"
		[cache.servers]="$MC0 $MC1"
		[callahead.server]="127.0.0.1:$PF_PORT" [callahead.helo]="probe.mailops.test"
		[callahead.connect_timeout]=10 [callahead.reply_timeout]=10 [callahead.quit_timeout]=2
		[dns.servers]="127.0.0.1:$dport" [dns.timeout_ms]=3000 [dns.tries]=1
		[doctor.probe_address]="postmaster@local.test" [doctor.domains]="one-mx.test two-mx.test"
		[doctor.log]="$TMP/ordinary.log" [doctor.our_ips]="192.0.2.8" [doctor.dnsbl]="bl.test"
		[doctor.slow_ms]=3000 [doctor.deadline]=20
	)
	local a
	for a in "$@"; do kv[${a%%=*}]=${a#*=}; done
	{
		local s k
		for s in aliases cache callahead dns doctor arf; do
			printf '[%s]\n' "$s"
			for k in "${!kv[@]}"; do
				[ "${k%%.*}" = "$s" ] && [ -n "${kv[$k]}" ] && printf '%s = %s\n' "${k#*.}" "${kv[$k]}"
			done
		done
	} >"$f"
	echo "$f"
}
# doctor CONF ARGS...: mailops -c CONF -o tsv doctor ARGS, with the queue
# command of the test's Postfix; MS is the wall time in ms.
doctor() {
	local c=$1 start
	shift
	start=$(date +%s%N)
	run "${PFQ[@]}" "$MAILOPS" -c "$c" -o tsv doctor "$@"
	MS=$((($(date +%s%N) - start) / 1000000))
}
# row CHECK TARGET COLUMN: one field of the row (from $OUT).
row() {
	printf '%s\n' "$OUT" | awk -F'\t' -v c="$1" -v t="$2" -v col="$3" \
		'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next } $1 == c && $2 == t { print $h[col] }'
}
# rows CHECK: "target status" of the check's rows, one a line.
rows() { printf '%s\n' "$OUT" | awk -F'\t' -v c="$1" 'NR > 1 && $1 == c { print $2 " " $3 }'; }
checks() { printf '%s\n' "$OUT" | awk -F'\t' 'NR > 1 { print $1 }' | uniq | paste -sd' '; }
ALL_CHECKS="aliases cache callahead dns log queue dnsbl arf"

# ---- 1. healthy: every row OK or SKIP, exit 0 ----
C1=$(conf healthy)
doctor "$C1"
expect_eq "healthy_exits_0" 0 "$RC"
expect_eq "healthy_every_check_has_rows_in_order" "$ALL_CHECKS" "$(checks)"
expect_nomatch "healthy_no_row_warn_fail_or_unknown" $'\t(WARN|FAIL|UNKNOWN)\t' "$OUT"
expect_eq "healthy_aliases_rows" "$AL/aliases.db OK|$AL/aliases OK" "$(rows aliases | paste -sd'|')"
expect_match "healthy_aliases_db_has_at_record" '@ record present' "$(row aliases "$AL/aliases.db" detail)"
expect_match "healthy_postalias_db_has_postfix_layout" 'Postfix \(postalias\) keys' "$(row aliases "$AL/aliases.db" detail)"
expect_eq "healthy_aliases_text_older" "db is newer" "$(row aliases "$AL/aliases" value)"
expect_eq "healthy_cache_rows_name_both_servers" "$MC0 OK|$MC1 OK|ca: OK|ca:r: OK" "$(rows cache | paste -sd'|')"
expect_match "healthy_cache_server_value" '^up [0-9]+ ms, fill [0-9]+%, (hit [0-9]+%|no gets yet)$' "$(row cache "$MC0" value)"
expect_match "healthy_cache_server_detail_names_memcached" '^memcached 1\.[0-9.]+, up ' "$(row cache "$MC1" detail)"
expect_eq "healthy_cache_counts_filter_keys" "7 entries|recipients 7, domains 0" \
	"$(row cache ca: value)|$(row cache ca: detail)"
expect_eq "healthy_cache_reads_the_invalid_entry" "no stale invalid entries|of 7 recipient entries read (1 invalid)" \
	"$(row cache ca:r: value)|$(row cache ca:r: detail)"
expect_match "healthy_callahead_server_row" "^\[127\.0\.0\.1\]:$PF_PORT OK$" "$(rows callahead | head -1)"
ca_target=$(rows callahead | head -1 | cut -d" " -f1)
expect_match "healthy_callahead_banner_is_postfix" 'banner: mx\.local\.test ESMTP test' "$(row callahead "$ca_target" detail)"
expect_match "healthy_probe_valid_250" '^valid 250 in [0-9]+ ms$' "$(row callahead postmaster@local.test value)"
expect_eq "healthy_probe_status" OK "$(row callahead postmaster@local.test status)"
expect_eq "healthy_dns_rows" "resolver 127.0.0.1:$dport OK|one-mx.test OK|two-mx.test OK" "$(rows dns | paste -sd'|')"
expect_match "healthy_dns_two_mx_first" '^2 addresses, first mx1\.two-mx\.test$' "$(row dns two-mx.test detail)"
expect_match "healthy_dns_one_mx" '^1 address, first mx\.one-mx\.test$' "$(row dns one-mx.test detail)"
expect_eq "healthy_log_source_row" "$ordinary_lines lines in 60 min|lost 0, timeouts 0, resets 0, rejections 0, deferrals 0, bounces 0" \
	"$(row log "$TMP/ordinary.log" value)|$(row log "$TMP/ordinary.log" detail)"
expect_eq "healthy_log_counts_zero" "0 0 0 0 (4xx 0) 0 (bounced 0)" \
	"$(row log 'lost connections' value) $(row log timeouts value) $(row log resets value) $(row log rejections value) $(row log deferrals value)"
expect_eq "healthy_queue_empty" "postqueue -j OK empty" "$(rows queue) $(row queue 'postqueue -j' value)"
expect_eq "healthy_dnsbl_not_listed" "192.0.2.8 in bl.test OK not listed" "$(rows dnsbl) $(row dnsbl '192.0.2.8 in bl.test' value)"
expect_eq "healthy_arf_unset_is_skip" "mailboxes SKIP" "$(rows arf)"
# A mailbox without reports: OK, nothing counted.
printf 'From a@client.example Thu Dec  3 10:00:00 2026\nFrom: a@client.example\nSubject: hello\n\nnot a report\n\n' >"$TMP/fbl.mbox"
doctor "$(conf arf arf.mailboxes="$TMP/fbl.mbox")" arf
expect_eq "arf_mailbox_without_reports_ok" "0 $TMP/fbl.mbox OK 0 reports in 24 h" "$RC $(rows arf) $(row arf "$TMP/fbl.mbox" value)"
# Reports of the last day are counted (by type, reporter, source IP); an
# old one (the corpus's AOL report of 2008) is not; abuse makes it WARN.
arf_msg() { # arf_msg DATE TYPE IP
	printf 'From scomp@aol.net %s\nFrom: AOL Feedback <scomp@aol.net>\nTo: abuse@local.test\nSubject: Abuse report\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary="b1"\n\n--b1\nContent-Type: text/plain\n\nA complaint.\n\n--b1\nContent-Type: message/feedback-report\n\nFeedback-Type: %s\nUser-Agent: test/1.0\nVersion: 1\nArrival-Date: %s\nSource-IP: %s\nOriginal-Mail-From: <news@local.test>\nOriginal-Rcpt-To: <someone@aol.example>\n\n--b1\nContent-Type: text/rfc822-headers\n\nFrom: news@local.test\nTo: someone@aol.example\nSubject: news\n\n--b1--\n\n' \
		"$(date -u -d "$1" '+%a %b %e %H:%M:%S %Y')" "$2" "$(date -u -d "$1" -R)" "$3"
}
{
	arf_msg '-2 hours' abuse 192.0.2.99
	arf_msg '-1 hour' abuse 192.0.2.99
	arf_msg '-3 hours' opt-out 192.0.2.50
	arf_msg '-3 days' abuse 192.0.2.1
} >"$TMP/fbl2.mbox"
doctor "$(conf arf2 arf.mailboxes="$TMP/fbl2.mbox")" arf
expect_eq "arf_recent_abuse_warns" "1 WARN 3 reports in 24 h" "$RC $(row arf "$TMP/fbl2.mbox" status) $(row arf "$TMP/fbl2.mbox" value)"
expect_match "arf_counts_by_type" 'types: abuse 2, opt-out 1' "$(row arf "$TMP/fbl2.mbox" detail)"
expect_match "arf_names_reporter" 'reporters: AOL 3' "$(row arf "$TMP/fbl2.mbox" detail)"
expect_match "arf_top_source_ip" 'top sources: 192\.0\.2\.99 2, 192\.0\.2\.50 1; 4 messages read' "$(row arf "$TMP/fbl2.mbox" detail)"

# ---- 9. selection and formats ----
doctor "$C1" --only cache,dns
expect_eq "only_gives_those_checks" "0 cache dns" "$RC $(checks)"
doctor "$C1" queue dnsbl
expect_eq "positional_checks_too" "0 queue dnsbl" "$RC $(checks)"
doctor "$C1" --only cache,nosuchcheck
expect_eq "only_unknown_check_is_usage_error" 64 "$RC"
expect_match "only_unknown_check_named" "no check 'nosuchcheck'" "$ERR"
expect_eq "only_unknown_check_prints_no_rows" "" "$OUT"
doctor "$C1" nosuchcheck
expect_eq "positional_unknown_check_is_usage_error" 64 "$RC"
expect_match "positional_unknown_check_named" "no check 'nosuchcheck'" "$ERR"
run "${PFQ[@]}" "$MAILOPS" -c "$C1" -o json doctor
expect_eq "json_exits_0" 0 "$RC"
printf '%s\n' "$OUT" >"$TMP/doctor.json"
jcheck=$(python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert list(o) == ["check", "target", "status", "value", "detail", "advice"], list(o)
    assert o["status"] in ("OK", "SKIP"), o
    n += 1
print(n)' "$TMP/doctor.json" 2>&1)
doctor "$C1"
expect_eq "json_one_object_per_row_with_six_keys" "$(($(printf '%s\n' "$OUT" | wc -l) - 1))" "$jcheck"
start=$(date +%s%N)
timeout 4 "${PFQ[@]}" "$MAILOPS" -c "$C1" doctor --watch 1 --only dns,dnsbl >"$TMP/watch.out" 2>"$TMP/watch.err"
wrc=$?
wms=$((($(date +%s%N) - start) / 1000000))
tables=$(grep -c '^CHECK  *TARGET  *STATUS' "$TMP/watch.out")
if [ "$tables" -ge 2 ] && [ "$wms" -lt 6000 ]; then
	ok "watch_prints_a_table_per_pass ($tables tables, rc $wrc, $wms ms)"
else
	not_ok "watch_prints_a_table_per_pass" "$tables tables, rc $wrc, $wms ms" "$(head -30 "$TMP/watch.out")" "$(cat "$TMP/watch.err")"
fi
expect_eq "watch_pass_lines_stamped" "$tables" "$(grep -cE '^-- [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z \([0-9]+ ms\)$' "$TMP/watch.out")"
expect_nomatch "watch_separator_not_escaped" '\\x0a' "$(cat "$TMP/watch.out")"
# From the second pass on, the cache rows give the rates since the last
# pass (gets made in between show as the hit ratio of now).
"$MAILOPS" -c "$C1" -o tsv doctor --watch 1 --only cache >"$TMP/watchc.out" 2>&1 &
wpid=$!
for _ in $(seq 1 200); do grep -qF "$MC0" "$TMP/watchc.out" && break; sleep 0.05; done
for _ in 1 2 3 4 5; do mc_cmd 0 "get nosuchkey$RANDOM" >/dev/null; done
# a pass whose interval holds those misses (and only the doctor's own
# reads besides, which it leaves out) says hit 0%
for _ in $(seq 1 200); do grep -qE 'last [0-9]+s: [0-9.]+ evictions/s, hit 0%' "$TMP/watchc.out" && break; sleep 0.05; done
kill -INT "$wpid"
wait "$wpid"
expect_match "watch_cache_rate_since_last_pass" 'last [0-9]+s: [0-9.]+ evictions/s, hit 0%' \
	"$(grep -F "$MC0" "$TMP/watchc.out")"

# ---- 2. one memcached stopped ----
mc_stop 1
doctor "$C1"
expect_eq "cache_server_down_exits_2" 2 "$RC"
expect_eq "cache_down_row" "FAIL down" "$(row cache "$MC1" status) $(row cache "$MC1" value)"
expect_match "cache_down_says_why" 'refused' "$(row cache "$MC1" detail)"
expect_eq "cache_other_server_ok" OK "$(row cache "$MC0" status)"
expect_eq "cache_down_other_checks_still_answer" "$ALL_CHECKS" "$(checks)"
expect_eq "cache_down_only_its_row_fails" "cache $MC1 FAIL" \
	"$(printf '%s\n' "$OUT" | awk -F'\t' 'NR > 1 && $3 != "OK" && $3 != "SKIP" { print $1, $2, $3 }')"
expect_match "cache_down_probe_still_valid" '^valid 250 ' "$(row callahead postmaster@local.test value)"
mc_restart 1

# ---- the filter's invalid entries that outlived [callahead] invalid_ttl ----
# Written by Cache::Memcached under a namespace of their own, with no expiry.
now_s=$(date +%s)
old_s=$((now_s - 200000))
printf '%s\n' "ca:r:stale1@local.test invalid 550 5.1.1 $old_s mx.local.test User unknown" \
	"ca:r:stale2@local.test invalid 550 5.1.1 $old_s mx.local.test User unknown" \
	"ca:r:fresh@local.test invalid 550 5.1.1 $now_s mx.local.test User unknown" \
	"ca:r:kept@local.test valid 250 2.1.5 $old_s mx.local.test Ok" |
	perl "$ROOT/tests/helpers/cm_write.pl" --servers "$MC0" --namespace st: >"$TMP/cm_write.out"
expect_eq "stale_entries_written_by_cache_memcached" 4 "$(grep -c $'\tstored$' "$TMP/cm_write.out")"
doctor "$(conf stale cache.servers="$MC0" cache.namespace=st:)" cache
expect_eq "stale_invalid_entries_exit_1" 1 "$RC"
expect_eq "stale_namespace_counted" "OK 4 entries" "$(row cache ca: status) $(row cache ca: value)"
expect_eq "stale_invalid_entries_warn" "WARN 2 invalid entries older than their TTL" "$(row cache ca:r: status) $(row cache ca:r: value)"
expect_eq "stale_invalid_entries_detail" "of 4 recipient entries read (3 invalid); TTL 90000 s" "$(row cache ca:r: detail)"
doctor "$(conf stale2 cache.servers="$MC0" cache.namespace=st: callahead.invalid_ttl=300000)" cache
expect_eq "stale_follows_invalid_ttl" "0 OK" "$RC $(row cache ca:r: status)"
doctor "$(conf noprefix cache.servers="$MC0" cache.prefix=zz:)" cache
expect_eq "prefix_without_entries_warns" "1 WARN no entries" "$RC $(row cache zz: status) $(row cache zz: value)"

# ---- 3. the callahead server hangs after the banner ----
PEER_PID=
PEER_LOG=$TMP/fault.log
: >"$PEER_LOG"
perl "$ROOT/tests/peers/smtp_fault.pl" --portfile "$TMP/fault.port" --log "$PEER_LOG" silent-after-rcpt 2>"$TMP/fault.err" &
PEER_PID=$!
at_exit "kill $PEER_PID"
for _ in $(seq 1 150); do [ -s "$TMP/fault.port" ] && break; sleep 0.02; done
fport=$(cat "$TMP/fault.port" 2>/dev/null)
C3=$(conf hang callahead.server="127.0.0.1:$fport" callahead.connect_timeout=30 callahead.reply_timeout=30 \
	callahead.quit_timeout=30 doctor.deadline=3 cache.servers="$MC0")
doctor "$C3"
if [ "$MS" -lt 4500 ]; then ok "hanging_server_run_ends_within_deadline ($MS ms)"; else not_ok "hanging_server_run_ends_within_deadline" "$MS ms"; fi
expect_eq "hanging_server_exits_2" 2 "$RC"
expect_eq "hanging_server_row" "[127.0.0.1]:$fport FAIL" "$(rows callahead | head -1)"
hv=$(row callahead "[127.0.0.1]:$fport" value)
hd=$(row callahead "[127.0.0.1]:$fport" detail)
expect_match "hanging_server_value_says_banner_then_silence" '^connect [0-9]+ ms, banner [0-9]+ ms, EHLO [0-9]+ ms, then no reply$' "$hv"
expect_match "hanging_server_detail_says_what_it_waited_for" '^waiting for the RCPT TO reply for [0-9]+ ms; banner: fault\.test ESMTP$' "$hd"
expect_eq "hanging_server_other_checks_answer" "$ALL_CHECKS" "$(checks)"
expect_eq "hanging_server_only_callahead_fails" "callahead" \
	"$(printf '%s\n' "$OUT" | awk -F'\t' 'NR > 1 && $3 != "OK" && $3 != "SKIP" { print $1 }' | sort -u | paste -sd' ')"
for _ in $(seq 1 100); do grep -q ' CLOSE ' "$PEER_LOG" && break; sleep 0.05; done
expect_match "hanging_server_got_to_rcpt" ' C: RCPT TO:<postmaster@local\.test>' "$(cat "$PEER_LOG")"
expect_match "hanging_server_closed_by_us" ' CLOSE (by client|reset by client)' "$(cat "$PEER_LOG")"
# ^C during a run that waits on the hanging server: it ends at once (the
# loop wakes for the signal), as a shell reports an interrupt.
C3w=$(conf hangw callahead.server="127.0.0.1:$fport" callahead.reply_timeout=30 doctor.deadline=12)
start=$(date +%s%N)
"$MAILOPS" -c "$C3w" doctor --only callahead >/dev/null 2>&1 &
ipid=$!
sleep 1
kill -INT "$ipid"
wait "$ipid"
irc=$?
ims=$((($(date +%s%N) - start) / 1000000))
if [ "$irc" = 130 ] && [ "$ims" -lt 3000 ]; then ok "interrupt_ends_the_run_at_once (rc $irc, $ims ms)"; else not_ok "interrupt_ends_the_run_at_once" "rc $irc, $ims ms"; fi
kill "$PEER_PID" 2>/dev/null
wait "$PEER_PID" 2>/dev/null

# An unreadable [callahead] routes file is said, not skipped in silence.
doctor "$(conf noroutes callahead.server= callahead.routes="$TMP/no-such-routes")" callahead
expect_eq "unreadable_routes_warns" "WARN unreadable" \
	"$(row callahead "$TMP/no-such-routes" status) $(row callahead "$TMP/no-such-routes" value)"

# ---- 4. slow DNS for one domain ----
C4=$(conf slowdns dns.servers="127.0.0.1:$sport" dns.timeout_ms=5000 doctor.domains="one-mx.test slow.test" doctor.slow_ms=500)
doctor "$C4" dns
expect_eq "slow_domain_exits_1" 1 "$RC"
expect_eq "slow_domain_rows" "resolver 127.0.0.1:$sport OK|one-mx.test OK|slow.test WARN" "$(rows dns | paste -sd'|')"
sv=$(row dns slow.test value)
expect_match "slow_domain_value_shows_ms" '^MX [0-9]+ ms, total [0-9]+ ms$' "$sv"
mxms=$(printf '%s' "$sv" | sed -n 's/^MX \([0-9]*\) ms.*/\1/p')
if [ -n "$mxms" ] && [ "$mxms" -ge 1900 ] && [ "$mxms" -lt 5000 ]; then ok "slow_domain_ms_is_the_delay ($mxms ms)"; else not_ok "slow_domain_ms_is_the_delay" "$sv"; fi
expect_match "slow_domain_detail_still_answers" 'first mx\.slow\.test' "$(row dns slow.test detail)"
C4b=$(conf slowdns8 dns.servers="127.0.0.1:$sport8" dns.timeout_ms=5000 doctor.domains="one-mx.test slow.test" \
	doctor.slow_ms=500 doctor.deadline=3 cache.servers="$MC0")
doctor "$C4b"
if [ "$MS" -lt 4500 ]; then ok "dns_beyond_deadline_run_ends_within_deadline ($MS ms)"; else not_ok "dns_beyond_deadline_run_ends_within_deadline" "$MS ms"; fi
expect_eq "dns_beyond_deadline_exits_2" 2 "$RC"
expect_eq "dns_beyond_deadline_row" "FAIL no answer" "$(row dns slow.test status) $(row dns slow.test value)"
expect_match "dns_beyond_deadline_detail" '^nothing within [0-9]+ ms$' "$(row dns slow.test detail)"
expect_eq "dns_beyond_deadline_other_domain_ok" OK "$(row dns one-mx.test status)"
expect_eq "dns_beyond_deadline_other_checks_answer" "$ALL_CHECKS" "$(checks)"
# The resolver is judged on its best answer: one domain whose look-up
# hangs does not make it FAIL, and the row names that domain.
expect_eq "resolver_ok_despite_one_hanging_domain" "OK" "$(row dns "resolver 127.0.0.1:$sport8" status)"
expect_match "resolver_row_names_the_hanging_domain" '^asked one-mx\.test; no answer for slow\.test \(no answer within the deadline\)' \
	"$(row dns "resolver 127.0.0.1:$sport8" detail)"

# ---- 5. the alias text changed after the db ----
touch -d '+2 min' "$AL/aliases"
doctor "$C1" aliases
expect_eq "text_touched_exits_1" 1 "$RC"
expect_eq "text_touched_row" "WARN" "$(row aliases "$AL/aliases" status)"
expect_match "text_touched_value" '^changed [0-9]+(s|m) after the db$' "$(row aliases "$AL/aliases" value)"
expect_match "text_touched_every_name_in_db" 'every name of the file is in the db' "$(row aliases "$AL/aliases" detail)"
printf 'newhire: carol\n' >>"$AL/aliases"
touch -d '+3 min' "$AL/aliases"
doctor "$C1" aliases
expect_eq "alias_missing_from_db_exits_2" 2 "$RC"
expect_eq "alias_missing_from_db_row" "FAIL 1 aliases not in the db" \
	"$(row aliases "$AL/aliases" status) $(row aliases "$AL/aliases" value)"
expect_match "alias_missing_from_db_named" 'not in the db: newhire$' "$(row aliases "$AL/aliases" detail)"
expect_eq "alias_missing_db_row_still_ok" OK "$(row aliases "$AL/aliases.db" status)"
# A db without the "@" record: makemap writes none.
mkdir -p "$TMP/mk"
chmod 755 "$TMP/mk"
printf 'postmaster\talice\nabuse\tpostmaster\nsales\talice, bob\n' | sm_makemap -N hash "$TMP/mk/aliases" 2>"$TMP/makemap.err"
cp "$DATA/aliases" "$TMP/mk/aliases.txt"
touch -d '-10 min' "$TMP/mk/aliases.txt"
doctor "$(conf noat aliases.db="$TMP/mk/aliases.db" aliases.text="$TMP/mk/aliases.txt")" aliases
expect_eq "no_at_record_exits_1" 1 "$RC"
expect_eq "no_at_record_row" "WARN 3 aliases, no @ record" "$(row aliases "$TMP/mk/aliases.db" status) $(row aliases "$TMP/mk/aliases.db" value)"
expect_match "no_at_record_says_incomplete" 'incomplete build' "$(row aliases "$TMP/mk/aliases.db" detail)"
expect_eq "no_at_record_text_older_ok" OK "$(row aliases "$TMP/mk/aliases.txt" status)"

# ---- 6. DNSBL ----
doctor "$(conf listed doctor.our_ips="192.0.2.7 192.0.2.8")" dnsbl
expect_eq "listed_exits_2" 2 "$RC"
expect_eq "listed_rows" "192.0.2.7 in bl.test FAIL|192.0.2.8 in bl.test OK" "$(rows dnsbl | paste -sd'|')"
expect_eq "listed_value_has_the_code" "listed (127.0.0.2)" "$(row dnsbl '192.0.2.7 in bl.test' value)"
expect_eq "listed_detail_is_the_txt_reason" "Listed: spam trap hit, see https://bl.test/192.0.2.7" \
	"$(row dnsbl '192.0.2.7 in bl.test' detail)"
expect_match "not_listed_asked_the_reversed_name" '^asked 8\.2\.0\.192\.bl\.test in [0-9]+ ms$' "$(row dnsbl '192.0.2.8 in bl.test' detail)"
doctor "$(conf badip doctor.our_ips="192.0.2.8 not-an-ip")" dnsbl
expect_eq "unknown_without_fail_exits_3" "3 not-an-ip in bl.test UNKNOWN" "$RC $(rows dnsbl | tail -1)"

# ---- 8. the queue: a message deferred for a remote domain ----
printf 'Subject: doctor test\n\nheld\n' |
	MAIL_CONFIG="$PF_I/etc" "$MTA_ROOT/usr/sbin/sendmail" -f alice@local.test someone@remote.example 2>"$TMP/sendmail.err"
expect_eq "sendmail_submitted" 0 "$?"
for _ in $(seq 1 200); do grep -q 'status=deferred' "$PF_I/maillog" && break; sleep 0.05; done
doctor "$C1" queue
expect_eq "deferred_message_exits_0" "0 postqueue -j OK" "$RC $(rows queue)"
expect_match "deferred_message_counted" '^1 message, oldest [0-9]+s$' "$(row queue 'postqueue -j' value)"
expect_match "deferred_message_domain_named" 'deferred 1, hold 0; deferred for: remote\.example 1; most said: deferred transport' \
	"$(row queue 'postqueue -j' detail)"

# A queue command that hangs: the child check is ended at the deadline
# with an UNKNOWN row, and the command it ran is not left running.
mkdir -p "$TMP/hangbin"
printf '#!/bin/sh\necho $$ >>"%s"\nexec sleep 60\n' "$TMP/hang.pids" >"$TMP/hangbin/postqueue"
chmod 755 "$TMP/hangbin/postqueue"
at_exit 'for p in $(cat "$TMP/hang.pids"); do kill "$p"; done'
start=$(date +%s%N)
run env "PATH=$TMP/hangbin:$PATH" "$MAILOPS" -c "$(conf hangq doctor.deadline=2)" -o tsv doctor queue dnsbl
MS=$((($(date +%s%N) - start) / 1000000))
if [ "$MS" -lt 3500 ]; then ok "hanging_queue_command_run_ends_within_deadline ($MS ms)"; else not_ok "hanging_queue_command_run_ends_within_deadline" "$MS ms"; fi
expect_eq "hanging_queue_command_exits_3" 3 "$RC"
expect_eq "hanging_queue_command_row" "UNKNOWN not finished within the deadline" \
	"$(printf '%s\n' "$OUT" | awk -F'\t' '$1 == "queue" { print $3, $4 }')"
expect_eq "hanging_queue_other_check_answers" "OK" "$(row dnsbl '192.0.2.8 in bl.test' status)"
sleep 1
left=""
# (a killed process whose parent is gone may linger as a zombie where
# nothing reaps orphans: dead all the same)
for p in $(cat "$TMP/hang.pids" 2>/dev/null); do
	st=$(ps -o stat= -p "$p" 2>/dev/null)
	[ -n "$st" ] && [ "${st#Z}" = "$st" ] && left="$left $p"
done
expect_eq "hanging_queue_command_not_left_running" "" "$left"

# Where there is no postqueue, sendmail's mailq (its text, as sendmail
# prints it): the deferred recipients by domain, the oldest message.
mkdir -p "$TMP/smbin"
old=$(date -d '-5 hours' '+%a %b %e %H:%M')
cat >"$TMP/smbin/mailq.out" <<MQ
		/var/spool/mqueue (3 requests)
-----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------
0B3AxM00011111     1234 $old <alice@local.test>
                 (Deferred: Connection timed out with mx.slowpoke.example.)
					 <bob@slowpoke.example>
					 <carol@slowpoke.example>
0B3AxM00011112      567 $old <dave@local.test>
                 (Deferred: Connection timed out with mx.slowpoke.example.)
					 <erin@slowpoke.example>
0B3AxM00011113*     890 $(date '+%a %b %e %H:%M') <frank@local.test>
					 <grace@other.example>
		Total requests: 3
MQ
printf '#!/bin/sh\ncat "%s"\n' "$TMP/smbin/mailq.out" >"$TMP/smbin/mailq"
chmod 755 "$TMP/smbin/mailq"
if [ -x /usr/sbin/postqueue ]; then
	not_ok "sendmail_mailq_used_without_postqueue" "this host has /usr/sbin/postqueue: the mailq path cannot be reached"
else
	run env "PATH=$TMP/smbin:/usr/bin:/bin" "$MAILOPS" -c "$C1" -o tsv doctor queue
	expect_eq "sendmail_mailq_used_without_postqueue" "mailq" "$(rows queue | cut -d' ' -f1)"
	expect_match "sendmail_mailq_counts_and_age" '^3 messages, oldest (4h5[0-9]m|5h0[0-9]m)$' "$(row queue mailq value)"
	expect_match "sendmail_mailq_deferred_by_domain" 'deferred for: slowpoke\.example 3' "$(row queue mailq detail)"
	expect_eq "sendmail_mailq_old_message_warns" "1 WARN" "$RC $(row queue mailq status)"
fi

# ---- 7a. Postfix's own maillog after real sessions ----
SMTP_PL='use IO::Socket::INET;
my ($port, $mode, $rcpt) = @ARGV;
my $s = IO::Socket::INET->new("127.0.0.1:$port") or die "connect: $!\n";
sub reply { my $l; do { $l = <$s>; die "eof\n" unless defined $l } while ($l =~ /^\d{3}-/); $l }
reply();
for my $c ("EHLO client.mailops.test", "MAIL FROM:<someone\@client.mailops.test>", "RCPT TO:<$rcpt>") { print $s "$c\r\n"; reply() }
if ($mode eq "quit") { print $s "QUIT\r\n"; reply() }
close $s;'
for _ in 1 2 3 4; do perl -e "$SMTP_PL" "$PF_PORT" drop alice@local.test; done
for u in ghost1 ghost2 ghost3; do perl -e "$SMTP_PL" "$PF_PORT" quit "$u@local.test"; done
for _ in $(seq 1 200); do
	[ "$(grep -c 'lost connection after RCPT' "$PF_I/maillog")" -ge 4 ] &&
		[ "$(grep -c 'NOQUEUE: reject: RCPT' "$PF_I/maillog")" -ge 3 ] && break
	sleep 0.05
done
lost_all=$(grep -c 'lost connection after' "$PF_I/maillog")
lost_rcpt=$(grep -c 'lost connection after RCPT' "$PF_I/maillog")
rejects=$(grep -c 'NOQUEUE: reject: RCPT' "$PF_I/maillog")
doctor "$(conf pflog doctor.log="$PF_I/maillog")" log
expect_eq "postfix_log_lost_is_warn" "1 WARN $lost_all" "$RC $(row log 'lost connections' status) $(row log 'lost connections' value)"
ld=$(row log 'lost connections' detail)
expect_match "postfix_log_lost_after_rcpt_counted" "(^|, )after rcpt $lost_rcpt(,|;|$)" "$ld"
expect_match "postfix_log_lost_client_named" "top: localhost \[127\.0\.0\.1\] $lost_all$" "$ld"
expect_match "postfix_log_lost_has_advice" 'after RCPT' "$(row log 'lost connections' advice)"
expect_eq "postfix_log_rejections_counted" "OK $rejects (4xx 0)" "$(row log rejections status) $(row log rejections value)"
expect_match "postfix_log_rejection_reason" "^top: 550 [^,]*User unknown in local recipient table $rejects$" "$(row log rejections detail)"
expect_eq "postfix_log_deferral_counted" "1 (bounced 0)" "$(row log deferrals value)"
# (the most frequent reason may carry its count, as every "top" list does)
expect_match "postfix_log_deferral_domain_and_reason" '^top: remote\.example 1; most said: deferred transport( 1)?$' "$(row log deferrals detail)"
expect_match "postfix_log_source_row" "^lost $lost_all, timeouts 0, resets 0, rejections $rejects, deferrals 1, bounces 0$" \
	"$(row log "$PF_I/maillog" detail)"

# ---- 7b. a sendmail log: only the lines within --since count ----
# Old lines first (syslog order), padded so the file is large enough for the
# bisection to skip them.
{
	older=$(stamp '-5 hours')
	for _ in $(seq 1 300); do sed "s/@OLD@/$older/" "$DATA/sendmail-lost.log.in" | grep -v '@NOW@'; done
	sed -e "s/@OLD@/$OLD/" -e "s/@NOW@/$NOW/" "$DATA/sendmail-lost.log.in"
} >"$TMP/sendmail.log"
in_window=$(grep -c '@NOW@' "$DATA/sendmail-lost.log.in")
in_lost=$(grep '@NOW@' "$DATA/sendmail-lost.log.in" | grep -c 'lost input channel')
CS=$(conf smlog doctor.log="$TMP/sendmail.log")
doctor "$CS" log --since 60
expect_eq "sendmail_log_lines_in_window" "$in_window lines in 60 min" "$(row log "$TMP/sendmail.log" value)"
expect_eq "sendmail_log_lost_exactly_in_window" "1 WARN $in_lost" "$RC $(row log 'lost connections' status) $(row log 'lost connections' value)"
expect_eq "sendmail_log_lost_detail" "after rcpt $in_lost; top: slowpoke.example [203.0.113.5] 3, other.example [203.0.113.6] 1" \
	"$(row log 'lost connections' detail)"
expect_eq "sendmail_log_rejection_in_window" "1 (4xx 0)|top: 550 User unknown 1" "$(row log rejections value)|$(row log rejections detail)"
expect_nomatch "sendmail_log_old_clients_not_counted" 'old[12]\.example' "$OUT"
doctor "$CS" log --since 240
expect_eq "sendmail_log_since_240_counts_old_lines" "$((in_lost + 2)) $((in_window + 3))" \
	"$(row log 'lost connections' value) $(row log "$TMP/sendmail.log" value | cut -d' ' -f1)"
expect_rc "sendmail_log_bad_since_is_usage_error" 64 "$MAILOPS" -c "$CS" doctor log --since 0

# ---- a server that refuses metadump: its keys are not counted, and the row says so ----
mc_start_one 2 -X || not_ok "memcached_minus_x_started"
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/${MC_PORT[2]}") 2>/dev/null && break; sleep 0.05; done
mc_cmd 2 "set ca:r:x@local.test 0 0 5" "hello" >/dev/null
doctor "$(conf nodump cache.servers="127.0.0.1:${MC_PORT[2]}")" cache
expect_eq "refused_dump_not_counted" "UNKNOWN not counted" "$(row cache ca: status) $(row cache ca: value)"
expect_match "refused_dump_names_why" 'metadump' "$(row cache ca: detail)"
doctor "$(conf nodump2 cache.servers="$MC0 127.0.0.1:${MC_PORT[2]}")" cache
expect_match "partly_counted_says_on_which_servers" 'counted on 1 of 2 servers; not on 127\.0\.0\.1:'"${MC_PORT[2]}" "$(row cache ca: detail)"

# ---- a queue command that warns on stderr: the warning is not parsed as the queue ----
mkdir -p "$TMP/warnbin"
printf '#!/bin/sh\necho "postqueue: warning: /etc/postfix/main.cf, line 9: overriding earlier entry" >&2\nprintf %%s\\\\n %s\n' \
	"'{\"queue_name\": \"deferred\", \"queue_id\": \"AB12\", \"arrival_time\": $(date +%s), \"message_size\": 100, \"sender\": \"a@local.test\", \"recipients\": [{\"address\": \"b@warn.example\", \"delay_reason\": \"x\"}]}'" \
	>"$TMP/warnbin/postqueue"
chmod 755 "$TMP/warnbin/postqueue"
run env "PATH=$TMP/warnbin:$PATH" "$MAILOPS" -c "$C1" -o tsv doctor queue
expect_match "queue_stderr_warning_not_parsed" '^OK 1 message, oldest [0-9]+s$' "$(row queue 'postqueue -j' status) $(row queue 'postqueue -j' value)"

# ---- 10. hostile bytes never reach the terminal raw ----
printf '%s mail sm-mta[1301]: 0B3DlM00013001: ruleset=check_rcpt, arg1=<a@local.test>, relay=evil.example [203.0.113.66], reject=550 5.1.1 <a@local.test>... \033[2J\033]0;pwned\007User unknown\n' \
	"$NOW" >"$TMP/hostile.log"
EVIL_PL='use IO::Socket::INET;
my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 5, ReuseAddr => 1) or die "$!\n";
open(my $f, ">", "$ARGV[0].tmp") or die; print $f $s->sockport, "\n"; close $f; rename "$ARGV[0].tmp", $ARGV[0];
while (my $c = $s->accept) {
	$c->autoflush(1);
	print $c "220 evil\e[2J\e]0;pwned\a.test ESMTP \e[31mred\r\n";
	while (<$c>) {
		if (/^EHLO/i) { print $c "250-evil.test\r\n250 8BITMIME \e[5mblink\r\n" }
		elsif (/^MAIL/i) { print $c "250 2.1.0 Ok\r\n" }
		elsif (/^RCPT/i) { print $c "250 2.1.5 \e[1mOk\e[0m\r\n" }
		elsif (/^QUIT/i) { print $c "221 bye\r\n"; last }
		else { print $c "502 no\r\n" }
	}
	close $c;
}'
perl -e "$EVIL_PL" "$TMP/evil.port" 2>"$TMP/evil.err" &
EVIL_PID=$!
at_exit "kill $EVIL_PID"
for _ in $(seq 1 150); do [ -s "$TMP/evil.port" ] && break; sleep 0.02; done
C10=$(conf hostile doctor.log="$TMP/hostile.log" callahead.server="127.0.0.1:$(cat "$TMP/evil.port")")
for fmt in text tsv json; do
	"${PFQ[@]}" "$MAILOPS" -c "$C10" -o "$fmt" doctor log callahead >"$TMP/hostile.$fmt" 2>"$TMP/hostile.err"
	expect_eq "hostile_bytes_no_raw_esc_$fmt" 0 "$(grep -c $'\033' "$TMP/hostile.$fmt")"
done
# A NUL in a log line (after an unclean shutdown) does not cut the row.
printf '%s mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.9]: 550 5.1.1 <a@b>: bad\0nul; from=<a@b> to=<c@d> proto=ESMTP helo=<h>\n' "$(date '+%b %e %T')" >"$TMP/nul.log"
doctor "$(conf nullog doctor.log="$TMP/nul.log")" log
expect_match "nul_in_log_line_keeps_the_row_whole" 'top: 550 bad nul 1' "$OUT"
expect_match "hostile_log_reason_escaped" 'top: 550 \\x1b\[2J\\x1b\]0;pwned\\x07User unknown 1' "$(cat "$TMP/hostile.tsv")"
expect_match "hostile_banner_escaped" 'banner: evil\\x1b\[2J\\x1b\]0;pwned\\x07\.test ESMTP \\x1b\[31mred' "$(cat "$TMP/hostile.tsv")"
expect_match "hostile_reply_escaped_in_json" '"detail":"2\.1\.5 \\u001[bB]\[1mOk\\u001[bB]\[0m"' "$(cat "$TMP/hostile.json")"

done_testing
