#!/usr/bin/env bash
# demo/run.sh: a self-contained demo home in build/demo (config pointing
# only at files and servers started here, on 127.0.0.1 or unix sockets),
# the console opened on it, and everything started stopped when it closes.
# DEMO_DIR overrides the place (the tests use a private one).
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
MAILOPS=${MAILOPS:-$ROOT/mailops}
DEMO=${DEMO_DIR:-$ROOT/build/demo}
mkdir -p "$DEMO/run"
chmod 755 "$DEMO" "$DEMO/run"

pids=()
stop_all() {
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		# memcached notices SIGTERM at its next 1 s tick; a connection wakes it.
		for _ in $(seq 1 40); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -f "$DEMO/run/memcached.sock"
	[ -f "$DEMO/run/dns/dnsmasq.pid" ] && bash "$ROOT/tests/peers/dnsmasq.sh" stop "$DEMO/run/dns" >/dev/null 2>&1
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# A private memcached on a unix socket: the verification cache of the demo.
user_opt=()
[ "$(id -u)" = 0 ] && user_opt=(-u nobody) && chown nobody "$DEMO/run"
rm -f "$DEMO/run/memcached.sock"
memcached "${user_opt[@]}" -s "$DEMO/run/memcached.sock" -a 0777 -m 16 -U 0 >"$DEMO/run/memcached.log" 2>&1 &
pids+=($!)
echo $! >"$DEMO/run/memcached.pid"
for _ in $(seq 1 100); do
	[ -S "$DEMO/run/memcached.sock" ] && break
	sleep 0.02
done
if [ ! -S "$DEMO/run/memcached.sock" ]; then
	echo "demo: memcached did not start: $(cat "$DEMO/run/memcached.log")" >&2
	exit 69
fi

# A small scripted SMTP server for the demo's "remote" domain example.net
# (unknown* local parts rejected, the rest accepted): callaheads have a
# server to ask without the network.
rm -f "$DEMO/run/smtp.port"
perl "$ROOT/tests/peers/smtp_fault.pl" --portfile "$DEMO/run/smtp.port" --log "$DEMO/run/smtp.log" accept \
	2>"$DEMO/run/smtp.err" &
pids+=($!)
echo $! >"$DEMO/run/smtp.pid"
for _ in $(seq 1 100); do
	[ -s "$DEMO/run/smtp.port" ] && break
	sleep 0.02
done
if [ ! -s "$DEMO/run/smtp.port" ]; then
	echo "demo: the SMTP server did not start: $(cat "$DEMO/run/smtp.err")" >&2
	exit 69
fi
printf '# domain  [host]:port, as mailertable\nexample.net [127.0.0.1]:%s\n' "$(cat "$DEMO/run/smtp.port")" >"$DEMO/routes"

# The demo site's aliases, compiled as newaliases would.
sed "s|@DEMO@|$DEMO|g" demo/aliases >"$DEMO/aliases"
cp demo/staff.list "$DEMO/staff.list"
if ! "$MAILOPS" aliases build --yes "$DEMO/aliases" "$DEMO/aliases.db" >/dev/null 2>"$DEMO/run/build.log"; then
	echo "demo: building the aliases failed: $(cat "$DEMO/run/build.log")" >&2
	exit 70
fi

# The verification cache as the demo filter left it: entries written with
# Perl's Cache::Memcached, the filter's own client.
now=$(date +%s)
{
	for u in alice bob carol dave erin frank grace heidi; do
		echo "ca:r:$u@example.org valid 250 2.1.5 $((now - RANDOM % 80000)) mx1.example.org Ok"
	done
	for u in mallory trent oscar; do
		echo "ca:r:$u@example.org invalid 550 5.1.1 $((now - RANDOM % 40000)) mx1.example.org User unknown"
	done
	echo "ca:d:catchall.example accept-all 250 - $now mx.catchall.example -"
	echo "ca:d:refuses.example refused 554 5.7.1 $now mx.refuses.example Go away"
} | perl "$ROOT/tests/helpers/cm_write.pl" --servers "$DEMO/run/memcached.sock" --namespace demo: --ttl 86400 \
	>"$DEMO/run/cache-fill.log" 2>&1 || echo "demo: the cache entries were not written: $(cat "$DEMO/run/cache-fill.log")" >&2

# A private DNS server (dnsmasq on 127.0.0.1) for the demo's domains: MX
# look-ups and the Overview's DNS rows work without the network, and a
# blocklist zone that lists the demo's sending address (the Overview fails it).
dns=127.0.0.1:1
if dport=$(DNSMASQ_EXTRA="--local=/example.org/ --mx-host=example.org,mx.example.org,10 --host-record=mx.example.org,127.0.0.1 --local=/example.net/ --mx-host=example.net,mx.example.net,10 --host-record=mx.example.net,127.0.0.1 --local=/bl.example/ --host-record=25.2.0.192.bl.example,127.0.0.2 --txt-record=25.2.0.192.bl.example,listed:spam-trap-hits-from-192.0.2.25" \
	bash "$ROOT/tests/peers/dnsmasq.sh" start "$DEMO/run/dns" 2>"$DEMO/run/dns.err"); then
	dns=127.0.0.1:$dport
else
	echo "demo: no DNS server ($(head -c 200 "$DEMO/run/dns.err")); DNS rows will fail" >&2
fi

# The last hour of the demo MTA's log (sendmail): a client that keeps
# hanging up after RCPT (the Overview warns), rejections, a deferral.
{
	for m in 50 41 33 20 12 5; do
		t=$(date -d "-$m min" '+%b %e %H:%M:%S')
		echo "$t demo sm-mta[$((4000 + m))]: 0B3$m: from=<news@example.com>, size=$((2000 + m * 37)), class=0, nrcpts=1, proto=ESMTP, daemon=MTA, relay=mail.example.com [198.51.100.20]"
		echo "$t demo sm-mta[$((4100 + m))]: 0B3${m}x: lost input channel from slow.client.example [203.0.113.9] to MTA after rcpt"
	done
	for m in 44 30 9; do
		t=$(date -d "-$m min" '+%b %e %H:%M:%S')
		echo "$t demo sm-mta[$((4200 + m))]: 0B4$m: ruleset=check_rcpt, arg1=<mallory@example.org>, relay=spam.example [192.0.2.66], reject=550 5.1.1 <mallory@example.org>... User unknown"
	done
	t=$(date -d '-15 min' '+%b %e %H:%M:%S')
	echo "$t demo sm-mta[4300]: 0B415: to=<ceo@partner.example>, delay=00:15:00, mailer=esmtp, pri=120000, relay=mx.partner.example. [192.0.2.80], dsn=4.0.0, stat=Deferred: Connection timed out with mx.partner.example."
} >"$DEMO/mail.log"

# A feedback-loop mailbox holding one complaint of this morning.
{
	d=$(date -R -d '-2 hours')
	printf 'From scomp@aol.net %s\nFrom: AOL Feedback <scomp@aol.net>\nTo: abuse@example.org\nSubject: Email Feedback Report\nDate: %s\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary="demo"\n\n' \
		"$(date -d '-2 hours' '+%a %b %e %H:%M:%S %Y')" "$d"
	printf -- '--demo\nContent-Type: text/plain\n\nA recipient marked this message as spam.\n\n--demo\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: AOL SComp\nVersion: 1\nArrival-Date: %s\nSource-IP: 192.0.2.25\nOriginal-Mail-From: <news@example.org>\nOriginal-Rcpt-To: <reader@aol.example>\nReported-Domain: example.org\n\n' "$d"
	printf -- '--demo\nContent-Type: text/rfc822-headers\n\nFrom: Newsletter <news@example.org>\nTo: reader@aol.example\nSubject: Our November news\nMessage-ID: <nov@example.org>\n\n--demo--\n\n'
} >"$DEMO/fbl.mbox"

cat >"$DEMO/mailops.conf" <<CONF
; The demo home: every file and server here was made or started by demo/run.sh.
[aliases]
db = $DEMO/aliases.db
text = $DEMO/aliases
local_domains = example.org

[cache]
servers = $DEMO/run/memcached.sock
namespace = demo:

[callahead]
; example.net goes to the demo's SMTP server; other domains would need DNS
routes = $DEMO/routes
helo = demo.mailops.test
connect_timeout = 5
reply_timeout = 5

[dns]
; the demo's own dnsmasq (example.org, example.net)
servers = $dns
timeout_ms = 500
tries = 1

[arf]
mailboxes = $DEMO/fbl.mbox

[doctor]
; the demo's SMTP server answers for example.net (see routes)
probe_address = postmaster@example.net
domains = example.net
log = $DEMO/mail.log
deadline = 5
our_ips = 192.0.2.25
dnsbl = bl.example
CONF

"$MAILOPS" -c "$DEMO/mailops.conf"
