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
if ! "$MAILOPS" aliases build "$DEMO/aliases" "$DEMO/aliases.db" >/dev/null 2>"$DEMO/run/build.log"; then
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
; no network in the demo: nothing is looked up
servers = 127.0.0.1:1
timeout_ms = 500
tries = 1
CONF

"$MAILOPS" -c "$DEMO/mailops.conf"
