# tests/lib.sh: sourced by the shell tests in tests/e2e. TAP output, a
# private temporary directory removed at exit, and small assertions that
# name the behaviour they pin.
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
MAILOPS=${MAILOPS:-$ROOT/mailops}
export LC_ALL=C.UTF-8
unset MAILOPS_CONFIG NO_COLOR
T_N=0
T_FAIL=0
TMP=$(mktemp -d /tmp/mailops-t.XXXXXX)
chmod 755 "$TMP"
# Never read the machine's own config: every test gets an empty home.
export HOME=$TMP/home
mkdir -p "$HOME"
AT_EXIT=()
at_exit() { AT_EXIT+=("$*"); }
# A TCP port on 127.0.0.1 with nothing listening, below the kernel's
# ephemeral range: there a client socket's TIME_WAIT (thousands after a
# busy test) would make a server's bind fail with "Address already in use".
free_port() {
	local lo=32768 p
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
	[ "$lo" -gt 12000 ] || lo=32768
	for _ in $(seq 1 50); do
		p=$((10000 + RANDOM % (lo - 10000)))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}
_t_cleanup() {
	for ((i = ${#AT_EXIT[@]} - 1; i >= 0; i--)); do eval "${AT_EXIT[$i]}" >/dev/null 2>&1; done
	rm -rf "$TMP"
}
trap _t_cleanup EXIT

ok() { T_N=$((T_N + 1)); echo "ok $T_N - $1"; }
not_ok() {
	T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $1"; shift
	local l; for l in "$@"; do printf '%s\n' "$l" | head -c 2000 | sed 's/^/# /'; done
}
# run CMD...: runs it, keeping stdout in $OUT, stderr in $ERR, status in $RC.
run() {
	"$@" >"$TMP/.out" 2>"$TMP/.err"
	RC=$?
	OUT=$(cat "$TMP/.out")
	ERR=$(cat "$TMP/.err")
}
# expect_rc NAME CODE CMD...
expect_rc() {
	local name=$1 code=$2; shift 2
	run "$@"
	if [ "$RC" = "$code" ]; then ok "$name"; else not_ok "$name" "exit $RC, wanted $code" "stdout: $OUT" "stderr: $ERR"; fi
}
# expect_eq NAME WANTED GOT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "wanted: $2" "got:    $3"; fi
}
# expect_match NAME REGEX TEXT
expect_match() {
	if printf '%s' "$3" | grep -qE -- "$2"; then ok "$1"; else not_ok "$1" "no match for /$2/ in:" "$3"; fi
}
# expect_nomatch NAME REGEX TEXT
expect_nomatch() {
	if printf '%s' "$3" | grep -qE -- "$2"; then not_ok "$1" "unwanted match for /$2/ in:" "$3"; else ok "$1"; fi
}
done_testing() {
	echo "1..$T_N"
	[ "$T_FAIL" = 0 ]
}
