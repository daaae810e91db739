# tests/memcached.sh: sourced after tests/lib.sh. Real memcached servers on
# 127.0.0.1 at free ports, private to the test, stopped (by PID) at exit.
#   mc_start N [ARGS...]  starts N servers; ports in MC_PORT[0..N-1]
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

_mc_free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}

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
# mc_dump I: server I's own "lru_crawler metadump all" lines, up to END
# (metadump cannot be followed by quit on the same connection).
mc_dump() {
	timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"${MC_PORT[$1]}"'
		printf "lru_crawler metadump all\r\n" >&3
		while IFS= read -r l <&3; do l=${l%$'"'"'\r'"'"'}; [ "$l" = END ] && break; printf "%s\n" "$l"; done'
}
