#!/usr/bin/env bash
# A synthetic mbox of 1M messages (BENCH_BENFORD=N for fewer), subjects of
# random lengths, some RFC 2047-encoded: `mailops benford --metric
# subject-length` against `grep -c '^Subject:'` on the same file (target:
# within 3x) and against a Python script using the standard mailbox and
# email.header modules computing the same F1 histogram (target: 20x
# faster, and the same counts); the max RSS of mailops, and its anonymous
# part (bounded by the numbers kept: F1 keeps counts only, --test all 8
# bytes a value; the rest of the RSS is the mailbox's mapped pages).
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
MAILOPS=${MAILOPS:-$ROOT/mailops}
N=${BENCH_BENFORD:-1000000}
D=$(mktemp -d /tmp/mailops-bench-benford.XXXXXX)
trap 'rm -rf "$D"' EXIT

awk -v n="$N" 'BEGIN {
	srand(1)
	for (i = 1; i <= n; i++) {
		l = int(exp(rand() * log(120))) + 1
		s = ""
		for (k = 0; k < l; k++) s = s sprintf("%c", 97 + (i + k) % 26)
		if (i % 10 == 0) s = "=?UTF-8?B?w6TDtsO8?= " s
		printf "From sender%d@example.org Wed Nov 25 10:00:00 2026\nFrom: sender%d@example.org\nTo: rcpt@example.net\nSubject: %s\nMessage-ID: <%d@example.org>\n\nbody line %d\n\n", i, i, s, i, i
	}
}' >"$D/bench.mbox"
echo "   mbox: $N messages, $(( $(stat -c %s "$D/bench.mbox") / 1048576 )) MB"

cat >"$D/benford.py" <<'PY'
import mailbox, sys, email.header
counts = [0] * 10
for msg in mailbox.mbox(sys.argv[1]):
    raw = msg.get('Subject')
    if raw is None:
        continue
    text = str(email.header.make_header(email.header.decode_header(str(raw))))
    n = len(text)
    if n > 0:
        counts[int(str(n)[0])] += 1
print(" ".join(str(c) for c in counts[1:]))
PY

# Output to a file, not /dev/null: GNU grep stops at the first match when
# its output is /dev/null.
ms() { local s=$(date +%s%N); "$@" >"$D/out" 2>&1; echo $(( ($(date +%s%N) - s) / 1000000 )); }
best() { local b=999999 x; for _ in 1 2 3; do x=$(ms "$@"); [ "$x" -lt "$b" ] && b=$x; done; echo "$b"; }

cat "$D/bench.mbox" >/dev/null # warm the page cache
t_mailops=$(best "$MAILOPS" benford --metric subject-length "$D/bench.mbox")
t_grep=$(best grep -c '^Subject:' "$D/bench.mbox")
s=$(date +%s%N)
py_counts=$(python3 "$D/benford.py" "$D/bench.mbox")
t_py=$(( ($(date +%s%N) - s) / 1000000 ))
our_counts=$("$MAILOPS" -o tsv benford --metric subject-length "$D/bench.mbox" |
	awk -F'\t' '$1=="f1" && $2=="bin" {printf "%s%s", s, $4; s=" "}')
/usr/bin/time -o "$D/rss" -f %M "$MAILOPS" benford --metric subject-length "$D/bench.mbox" >"$D/out" 2>&1
rss=$(tail -1 "$D/rss")
/usr/bin/time -o "$D/rss" -f %M "$MAILOPS" benford --metric subject-length --test all "$D/bench.mbox" >"$D/out" 2>&1
rss_all=$(tail -1 "$D/rss")
# Max RSS counts the mailbox's mapped pages (page cache, reclaimable); the
# anonymous part (heap: counts, kept values) is what the numbers cost.
anon_max() {
	"$@" >"$D/out" 2>&1 &
	local pid=$! m=0 a
	while kill -0 "$pid" 2>/dev/null; do
		a=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
		[ -n "$a" ] && [ "$a" -gt "$m" ] && m=$a
		sleep 0.005
	done
	wait "$pid"
	echo "$m"
}
anon=$(anon_max "$MAILOPS" benford --metric subject-length "$D/bench.mbox")
anon_all=$(anon_max "$MAILOPS" benford --metric subject-length --test all "$D/bench.mbox")
grep_n=$(grep -c '^Subject:' "$D/bench.mbox")
our_n=$("$MAILOPS" -o tsv benford "$D/bench.mbox" | awk -F'\t' '$11=="read" {print $4}')

printf '   %-52s %7d ms\n' "mailops benford --metric subject-length" "$t_mailops"
printf '   %-52s %7d ms\n' "grep -c '^Subject:'" "$t_grep"
printf '   %-52s %7d ms\n' "python3 mailbox + email.header" "$t_py"
awk -v a="$t_mailops" -v b="$t_grep" 'BEGIN { r = a / (b ? b : 1); printf "   %-52s %7.2fx  %s\n", "mailops / grep (target <= 3x)", r, r <= 3 ? "met" : "NOT met" }'
awk -v a="$t_py" -v b="$t_mailops" 'BEGIN { r = a / (b ? b : 1); printf "   %-52s %7.2fx  %s\n", "python / mailops (target >= 20x)", r, (r >= 20 ? "met" : "NOT met") }'
if [ "$py_counts" = "$our_counts" ]; then
	echo "   same F1 counts as Python: $our_counts"
else
	echo "   F1 counts DIFFER: mailops $our_counts, python $py_counts"
fi
echo "   messages: grep counts $grep_n Subject lines, mailops read $our_n messages"
printf '   %-52s %7d KB\n' "max RSS, --test f1 (counts only)" "$rss"
printf '   %-52s %7d KB  (%d values x 8 bytes = %d KB kept)\n' "max RSS, --test all (values kept)" "$rss_all" "$N" $((N * 8 / 1024))
printf '   %-52s %7d KB\n' "max anonymous RSS, --test f1" "$anon"
printf '   %-52s %7d KB\n' "max anonymous RSS, --test all" "$anon_all"
