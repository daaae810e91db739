#!/usr/bin/env bash
# tests/peers/dnsmasq.sh: a real DNS server (dnsmasq) serving the test zone
# .test on 127.0.0.1 at a free port, and a slow forwarder in front of it.
#
#   dnsmasq.sh start DIR             starts dnsmasq, prints its port
#   dnsmasq.sh start-slow DIR SECS   starts the forwarder (answers for
#                                    *slow.test SECS late), prints its port
#   dnsmasq.sh stop DIR              stops both by PID
#
# The zone (names under .test not listed are NXDOMAIN):
#   two-mx.test      MX 10 mx1.two-mx.test (127.0.0.1), MX 20 mx2.two-mx.test (127.0.0.2)
#   one-mx.test      MX 10 mx.one-mx.test (127.0.0.1)
#   a-only.test      no MX; A 127.0.0.3, AAAA ::1
#   nullmx.test      MX 0 . (RFC 7505 null MX)
#   slow.test        MX 10 mx.slow.test (127.0.0.1), answered late by the forwarder
#   bl.test          a DNSBL zone: 192.0.2.7 is listed, 192.0.2.8 is not
#     7.2.0.192.bl.test  A 127.0.0.2 and
#                        TXT "Listed: spam trap hit, see https://bl.test/192.0.2.7"
#     8.2.0.192.bl.test  NXDOMAIN (not listed)
#   split-txt.test   two TXT records: "v=spf1 " "-all" (two strings, one
#                    record) and "second record"
# The DNSBL and TXT records are --dns-rr in wire format (txt_rr below):
# dnsmasq takes --txt-record's quotes literally on the command line and
# splits its text at commas; --host-record would add a PTR for 127.0.0.2.
# Extra dnsmasq options may be given in $DNSMASQ_EXTRA.
set -u
cmd=${1:?usage: dnsmasq.sh start|start-slow|stop DIR}
D=${2:?usage: dnsmasq.sh $cmd DIR}
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
TESTBIN=${TESTBIN:-$ROOT/build/tests}
mkdir -p "$D"

free_port() { # a port nothing listens on (UDP and TCP), below the ephemeral range (see tests/lib.sh)
	local p i lo=32768
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
	[ "$lo" -gt 12000 ] || lo=32768
	for i in $(seq 1 50); do
		p=$((10000 + RANDOM % (lo - 10000)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

txt_rr() { # txt_rr STRING...: the hex RDATA of one TXT record of those strings
	local s h=""
	for s in "$@"; do
		h+=$(printf '%02x' "${#s}")$(printf '%s' "$s" | od -An -tx1 -v | tr -d ' \n')
	done
	echo "$h"
}

answers() { # answers PORT NAME: true once the server answers a query
	dig +time=1 +tries=1 -p "$1" @127.0.0.1 "$2" MX >/dev/null 2>&1
}

case $cmd in
start)
	command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || { echo "dnsmasq not installed" >&2; exit 1; }
	for attempt in 1 2 3 4 5; do
		port=$(free_port) || exit 1
		# shellcheck disable=SC2086
		/usr/sbin/dnsmasq -k --conf-file=/dev/null --port="$port" --listen-address=127.0.0.1 \
			--bind-interfaces --no-resolv --no-hosts --pid-file= --log-facility="$D/dnsmasq.log" \
			--log-queries --local=/test/ --local-ttl=300 \
			--mx-host=two-mx.test,mx1.two-mx.test,10 --mx-host=two-mx.test,mx2.two-mx.test,20 \
			--host-record=mx1.two-mx.test,127.0.0.1 --host-record=mx2.two-mx.test,127.0.0.2 \
			--mx-host=one-mx.test,mx.one-mx.test,10 --host-record=mx.one-mx.test,127.0.0.1 \
			--host-record=a-only.test,127.0.0.3,::1 --dns-rr=nullmx.test,15,000000 \
			--mx-host=slow.test,mx.slow.test,10 --host-record=mx.slow.test,127.0.0.1 \
			--dns-rr=7.2.0.192.bl.test,1,7f000002 \
			--dns-rr=7.2.0.192.bl.test,16,"$(txt_rr "Listed: spam trap hit, see https://bl.test/192.0.2.7")" \
			--dns-rr=split-txt.test,16,"$(txt_rr "v=spf1 " "-all")" \
			--dns-rr=split-txt.test,16,"$(txt_rr "second record")" \
			${DNSMASQ_EXTRA:-} >>"$D/dnsmasq.out" 2>&1 &
		pid=$!
		for _ in $(seq 1 40); do
			if ! kill -0 "$pid" 2>/dev/null; then break; fi
			if answers "$port" two-mx.test; then
				echo "$pid" >"$D/dnsmasq.pid"
				echo "$port" >"$D/dnsmasq.port"
				echo "$port"
				exit 0
			fi
			sleep 0.05
		done
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	echo "dnsmasq did not start: $(tail -c 300 "$D/dnsmasq.out" 2>/dev/null)" >&2
	exit 1
	;;
start-slow)
	secs=${3:?usage: dnsmasq.sh start-slow DIR SECS}
	up=$(cat "$D/dnsmasq.port" 2>/dev/null) || { echo "start dnsmasq first" >&2; exit 1; }
	[ -x "$TESTBIN/slowdns" ] || { echo "no $TESTBIN/slowdns (make test-programs)" >&2; exit 1; }
	"$TESTBIN/slowdns" 0 "$up" slow.test "$((secs * 1000))" >"$D/slowdns.port" 2>"$D/slowdns.err" &
	pid=$!
	for _ in $(seq 1 40); do
		port=$(head -1 "$D/slowdns.port" 2>/dev/null)
		if [ -n "$port" ] && answers "$port" two-mx.test; then
			echo "$pid" >"$D/slowdns.pid"
			echo "$port"
			exit 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill "$pid" 2>/dev/null
	echo "slow forwarder did not start: $(cat "$D/slowdns.err")" >&2
	exit 1
	;;
stop)
	for f in "$D/slowdns.pid" "$D/dnsmasq.pid"; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null
		for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		kill -9 "$pid" 2>/dev/null
		rm -f "$f"
	done
	;;
*)
	echo "usage: dnsmasq.sh start|start-slow|stop DIR" >&2
	exit 64
	;;
esac
