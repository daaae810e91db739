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

# The demo site's aliases, compiled as newaliases would.
sed "s|@DEMO@|$DEMO|g" demo/aliases >"$DEMO/aliases"
cp demo/staff.list "$DEMO/staff.list"
if ! "$MAILOPS" aliases build "$DEMO/aliases" "$DEMO/aliases.db" >/dev/null 2>"$DEMO/run/build.log"; then
	echo "demo: building the aliases failed: $(cat "$DEMO/run/build.log")" >&2
	exit 70
fi

cat >"$DEMO/mailops.conf" <<CONF
; The demo home: every file and server here was made or started by demo/run.sh.
[aliases]
db = $DEMO/aliases.db
text = $DEMO/aliases
local_domains = example.org

[cache]
servers = $DEMO/run/memcached.sock
namespace = demo:

[dns]
; no network in the demo: nothing is looked up
servers = 127.0.0.1:1
timeout_ms = 500
tries = 1
CONF

"$MAILOPS" -c "$DEMO/mailops.conf"
