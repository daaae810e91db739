# tests/memcached.sh: sourced after tests/lib.sh. Real memcached servers on
# 127.0.0.1 at free ports, private to the test, stopped (by PID) at exit.
#   mc_start N [ARGS...]  starts N servers; ports in MC_PORT[0..N-1]
#   mc_start_one I ARGS   one more server at index I with its own arguments
#   mc_stop I             stops server I (SIGTERM, then a connection to wake it)
#   mc_restart I          starts server I again on its port (empty)
#   mc_cmd I TEXT         sends TEXT (CRLF added per line) to server I, prints the reply
#   mc_stat I NAME        one "stats" value of server I
#   mc_dump I             server I's own metadump lines
MC_PORT=()
MC_PID=()
MC_ARGS=()
MC_DIR=$TMP/memcached
mkdir -p "$MC_DIR"
chmod 755 "$MC_DIR"
chown nobody "$MC_DIR" 2>/dev/null

_mc_free_port() { free_port; }

_mc_launch() { # _mc_launch I PORT
	local i=$1 port=$2 user=()
	[ "$(id -u)" = 0 ] && user=(-u nobody)
	memcached "${user[@]}" -l 127.0.0.1 -p "$port" -U 0 -m 64 "${MC_ARGS[@]}" >"$MC_DIR/mc$i.log" 2>&1 &
	MC_PID[$i]=$!
	for _ in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		kill -0 "${MC_PID[$i]}" 2>/dev/null || break
		sleep 0.02
	done
	echo "memcached on $port did not start: $(cat "$MC_DIR/mc$i.log")" >&2
	return 1
}

mc_start() {
	local n=$1 i port
	shift
	MC_ARGS=("$@")
	for ((i = 0; i < n; i++)); do
		for _ in 1 2 3; do
			port=$(_mc_free_port) || return 1
			_mc_launch "$i" "$port" && break
			port=""
		done
		[ -n "$port" ] || return 1
		MC_PORT[$i]=$port
		at_exit "mc_stop $i"
	done
}

# mc_start_one I [ARGS...]: one more server at index I with its own
# arguments (e.g. -X), on a free port (another one if that was taken meanwhile).
mc_start_one() {
	local i=$1 port saved=("${MC_ARGS[@]}")
	shift
	MC_ARGS=("$@")
	for _ in 1 2 3 4 5; do
		port=$(_mc_free_port) || break
		if _mc_launch "$i" "$port" 2>/dev/null; then
			MC_PORT[$i]=$port
			MC_ARGS=("${saved[@]}")
			at_exit "mc_stop $i"
			return 0
		fi
	done
	MC_ARGS=("${saved[@]}")
	return 1
}

mc_stop() {
	local i=$1 pid=${MC_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	# memcached notices SIGTERM at its next clock tick; a connection wakes it.
	(exec 3<>"/dev/tcp/127.0.0.1/${MC_PORT[$i]}") 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	MC_PID[$i]=
}

mc_restart() { _mc_launch "$1" "${MC_PORT[$1]}"; }

mc_cmd() {
	local i=$1
	shift
	{
		printf '%s\r\n' "$@"
		printf 'quit\r\n'
	} | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/${MC_PORT[$i]}; cat >&3; cat <&3"
}

mc_stat() { mc_cmd "$1" stats | tr -d '\r' | awk -v n="$2" '$1 == "STAT" && $2 == n {print $3}'; }
# mc_dump I: server I's own "lru_crawler metadump hash" lines, up to END
# (metadump cannot be followed by quit on the same connection).
mc_dump() {
	# perl reads at full speed, taking lines as they come (a slow reader
	# makes memcached's crawler skip items).
	timeout 30 perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new("127.0.0.1:$ARGV[0]") or die "$!\n";
		print $s "lru_crawler metadump hash\r\n"; while (<$s>) { s/\r?\n$//; last if $_ eq "END"; print "$_\n" }' \
		"${MC_PORT[$1]}"
}
# mc_count I PREFIX N: how many of PREFIX1..PREFIXN server I holds (exact:
# pipelined gets, not a dump).
mc_count() {
	perl -MCache::Memcached::Fast -e 'my $m = Cache::Memcached::Fast->new({servers => ["127.0.0.1:$ARGV[0]"]});
		my $n = 0; for (my $i = 1; $i <= $ARGV[2]; $i += 1000) { my $e = $i + 999 > $ARGV[2] ? $ARGV[2] : $i + 999;
		my $h = $m->get_multi(map { "$ARGV[1]$_" } $i .. $e); $n += scalar keys %$h } print "$n\n"' \
		"${MC_PORT[$1]}" "$2" "$3"
}

# mc_fill I N PREFIX [VALUE]: N keys PREFIX1..PREFIXN on server I, fast
# (pipelined "set ... noreply").
mc_fill() {
	local i=$1 n=$2 prefix=$3 value=${4:-x}
	awk -v n="$n" -v p="$prefix" -v v="$value" 'BEGIN { for (k = 1; k <= n; k++) printf "set %s%d 0 0 %d noreply\r\n%s\r\n", p, k, length(v), v; printf "quit\r\n" }' |
		timeout 60 bash -c "exec 3<>/dev/tcp/127.0.0.1/${MC_PORT[$i]}; cat >&3; cat <&3 >/dev/null"
}
