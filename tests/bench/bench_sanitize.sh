#!/usr/bin/env bash
# Terminal-safe text: mailops's sanitizer vs `cat -v` over 1M alias-like
# lines (1 in 100 carries an escape sequence or invalid UTF-8).
set -u
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
python3 - "$D/in" <<'PY'
import sys, random
random.seed(1)
with open(sys.argv[1], 'wb') as f:
    for i in range(1_000_000):
        v = b'user%d: alice%d, bob@example.org, "|/usr/bin/prog -a"' % (i, i % 97)
        if i % 100 == 0:
            v += random.choice([b'\x1b[2J', b'\x1b]52;c;eA==\x07', b'caf\xc3\xa9', b'bad\xff'])
        f.write(v + b'\n')
PY
t() { local s=$(date +%s%N); "$@" <"$D/in" >/dev/null; echo $(( ($(date +%s%N) - s) / 1000000 )); }
t cat -v >/dev/null # warm the page cache
best() { local b=999999 x; for _ in 1 2 3; do x=$(t "$@"); [ "$x" -lt "$b" ] && b=$x; done; echo "$b"; }
a=$(best "$TESTBIN/sanitize_filter")
b=$(best cat -v)
printf '   %-28s %6d ms\n' "mailops sanitize (SAN_TEXT)" "$a" "cat -v" "$b"
awk -v a="$a" -v b="$b" 'BEGIN { printf "   ratio mailops/cat -v: %.2f (below 1 is faster)\n", a / (b ? b : 1) }'
