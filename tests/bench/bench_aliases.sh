#!/usr/bin/env bash
# A 1M-entry aliases.db (built by sendmail's makemap -N, with the "@"
# record): mailops against praliases -f, db5.3_dump -p and a bare libdb
# cursor walk; who on a random target, index build included, against a grep
# of the text file (direct members only); the snapshot's time and memory;
# the console's first paint, the whole list, and a filter typed over it.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
export ROOT
. "$ROOT/tests/lib.sh" >/dev/null
. "$ROOT/tests/mta.sh"
N=${BENCH_ALIASES:-1000000}
D=$MTA_DIR/bench
mkdir -p "$D"
chmod 755 "$D"
awk -v n="$N" 'BEGIN { srand(1); for (i = 1; i <= n; i++) printf "user%07d\ttarget%d, t%d@example.org\n", i, int(rand() * 50000), i; print "@\t@" }' >"$D/kv"
sed 's/\t/: /' "$D/kv" | grep -v '^@' >"$D/aliases"
sm_makemap -N hash "$D/aliases" <"$D/kv"
printf '[aliases]\ndb = %s/aliases.db\ntext = %s/aliases\n' "$D" "$D" >"$D/c.conf"
echo "   db: $N aliases, $(( $(stat -c %s "$D/aliases.db") / 1048576 )) MB, built by makemap -N hash"

ms() { local s=$(date +%s%N); "$@" >/dev/null 2>&1; echo $(( ($(date +%s%N) - s) / 1000000 )); }
best() { local b=999999 x; for _ in 1 2 3; do x=$(ms "$@"); [ "$x" -lt "$b" ] && b=$x; done; echo "$b"; }
# row LABEL MS [MAX_MS]: a time ("failed" when it was not measured), and
# whether it meets MAX_MS when there is a target.
row() {
	local verdict=""
	if [ -z "$2" ]; then
		printf '   %-44s %10s\n' "$1" failed
		return
	fi
	[ -n "${3:-}" ] && { [ "$2" -le "$3" ] && verdict="  met (<= $3 ms)" || verdict="  NOT met (<= $3 ms)"; }
	printf '   %-44s %7d ms%s\n' "$1" "$2" "$verdict"
}
# ratio LABEL A B [>=|<= TARGET]
ratio() {
	awk -v a="$2" -v b="$3" -v l="$1" -v op="${4:-}" -v t="${5:-}" 'BEGIN {
		r = a / (b ? b : 1); v = ""
		if (op == ">=") v = r >= t ? "  met" : "  NOT met"
		if (op == "<=") v = r <= t ? "  met" : "  NOT met"
		printf "   %-44s %7.2f%s\n", l, r, v }'
}

sm_praliases "$D/aliases" >/dev/null 2>&1 # warm the page cache
m=$(best "$MAILOPS" -c "$D/c.conf" aliases list --all)
p=$(best sm_praliases "$D/aliases")
d=$(best db5.3_dump -p "$D/aliases.db")
s=$(best "$TESTBIN/dbscan" "$D/aliases.db")
row "mailops aliases list --all (text)" "$m"
row "praliases -f" "$p"
row "db5.3_dump -p" "$d"
row "bare libdb DB_NEXT walk (no output)" "$s"
ratio "praliases / mailops (target >= 2)" "$p" "$m" ">=" 2
ratio "mailops / bare walk (target <= 1.5)" "$m" "$s" "<=" 1.5
ratio "db_dump / mailops (target >= 1)" "$d" "$m" ">=" 1
if cmp -s <("$MAILOPS" -c "$D/c.conf" aliases list --all) <(sm_praliases "$D/aliases" 2>/dev/null); then
	echo "   same bytes as praliases: yes"
else
	echo "   same bytes as praliases: NO"
fi

target=target$((RANDOM % 50000))
w=$(best "$MAILOPS" -c "$D/c.conf" aliases who "$target")
g=$(best grep -wF "$target" "$D/aliases")
row "mailops aliases who $target (index built)" "$w"
row "grep -wF $target aliases (direct only)" "$g"
ratio "mailops who / grep" "$w" "$g"

if [ -x /usr/bin/time ]; then
	/usr/bin/time -f '%e %M' -o "$D/time" "$MAILOPS" -c "$D/c.conf" aliases expand user0000001 >/dev/null 2>&1
	read -r secs kb < <(tail -n 1 "$D/time")
	verdict=$(awk -v s="$secs" -v k="$kb" 'BEGIN { print (s < 2 && k / 1024 < 200) ? "met" : "NOT met" }')
	printf '   %-44s %7s s, %d MB RSS (target < 2 s, < 200 MB) %s\n' "snapshot + one expansion" "$secs" $((kb / 1024)) "$verdict"
	/usr/bin/time -f '%e %M' -o "$D/time" "$MAILOPS" -c "$D/c.conf" aliases who "$target" >/dev/null 2>&1
	read -r secs kb < <(tail -n 1 "$D/time")
	printf '   %-44s %7s s, %d MB RSS\n' "who (snapshot + reverse index)" "$secs" $((kb / 1024))
fi

# The console: first paint, all rows in, and a filter typed over them.
sock=mailops-bench-$$
tmux -L "$sock" -f /dev/null new-session -d -s b -x 120 -y 40 "env TERM=tmux-256color LC_ALL=C.UTF-8 $MAILOPS -c $D/c.conf; sleep 30"
# Polls of about 10 ms each: enough for N rows at a generous rate, no more.
polls=$((N / 500 + 300))
start=$(date +%s%N)
first=""
full=""
for _ in $(seq 1 "$polls"); do
	scr=$(tmux -L "$sock" capture-pane -t b -p 2>/dev/null)
	now=$(( ($(date +%s%N) - start) / 1000000 ))
	# First paint: the first rows of the list, not the tab bar.
	if [ -z "$first" ] && printf '%s' "$scr" | grep -q '^user[0-9]\{7\} '; then first=$now; fi
	if printf '%s' "$scr" | grep -q "  $N aliases  complete"; then full=$now; break; fi
	sleep 0.005
done
row "console: first rows painted (tmux, polled)" "$first" 100
row "console: all $N rows in" "$full"
last=$(printf 'user%07d' "$N")
start=$(date +%s%N)
filtered=""
tmux -L "$sock" send-keys -t b / ; tmux -L "$sock" send-keys -t b -l "$last"; tmux -L "$sock" send-keys -t b Enter
for _ in $(seq 1 "$polls"); do
	if tmux -L "$sock" capture-pane -t b -p | grep -q "filter: $last"; then
		filtered=$(( ($(date +%s%N) - start) / 1000000 ))
		break
	fi
	sleep 0.005
done
row "console: '/$last' typed over all rows" "$filtered"
tmux -L "$sock" kill-server 2>/dev/null
rm -rf "$D"
