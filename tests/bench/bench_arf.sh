#!/usr/bin/env bash
# ARF reports in a big mbox: `mailops arf list -o tsv` beside Sisimai (what
# a postmaster would reach for to read feedback loops; on a sample, since it
# is far slower) and beside `grep -c '^Feedback-Type:'` (the floor: a text
# search that parses nothing). A synthetic mbox of BENCH_ARF_MB (1024) MB:
# the 43 corpus messages mixed with ordinary mail, about 1 report in 12.
# Target: mailops within 3x of the grep.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
MAILOPS=${MAILOPS:-$ROOT/mailops}
TESTBIN=${TESTBIN:-$ROOT/build/tests}
MB=${BENCH_ARF_MB:-1024}
CORPUS=$ROOT/tests/data/arf/corpus
[ -f "$CORPUS/all.mbox" ] || CORPUS=$ROOT/../shared/corpus/arf
if [ ! -f "$CORPUS/all.mbox" ]; then
	echo "   the ARF corpus is missing (tests/data/arf/corpus, ../shared/corpus/arf)" >&2
	exit 1
fi
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
python3 - "$CORPUS/all.mbox" "$D/big.mbox" "$MB" <<'PY'
import sys, random
random.seed(7)
src, out, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
reports = open(src, 'rb').read()
words = b'the of and to in postmaster queue delivery mailbox relay message report sender domain invoice meeting'.split()
def ordinary(i):
    body = b'\n'.join(b' '.join(random.choice(words) for _ in range(12)) for _ in range(random.randint(20, 80)))
    return (b'From sender%d@example.org Mon Feb  1 10:00:00 2021\n'
            b'From: Sender %d <sender%d@example.org>\nTo: user@example.net\n'
            b'Subject: ordinary mail %d\nDate: Mon, 1 Feb 2021 10:00:00 +0000\n'
            b'Message-ID: <%d@example.org>\nMIME-Version: 1.0\nContent-Type: text/plain\n\n' % (i, i, i, i, i)
            + body + b'\n\n')
# one block: the corpus (43 messages, 42 reports) and 480 ordinary messages
block = reports + b''.join(ordinary(i) for i in range(480))
n = max(1, (mb << 20) // len(block))
with open(out, 'wb') as f:
    for _ in range(n):
        f.write(block)
with open(out + '.sample', 'wb') as f:
    f.write(block * max(1, (16 << 20) // len(block)))

PY
SIZE=$(stat -c %s "$D/big.mbox")
SAMPLE=$(stat -c %s "$D/big.mbox.sample")
cat "$D/big.mbox" >/dev/null # warm the page cache
ms() { local s=$(date +%s%N); "$@" >"$D/out" 2>"$D/err"; echo $(( ($(date +%s%N) - s) / 1000000 )); }
tm=$(ms /usr/bin/time -o "$D/rss" -f %M "$MAILOPS" -o tsv arf list "$D/big.mbox")
rss=$(tail -1 "$D/rss")
rows=$(($(wc -l <"$D/out") - 1))
tg=$(ms grep -c '^Feedback-Type:' "$D/big.mbox")
hits=$(cat "$D/out")
mbs() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.0f", (b / 1048576) / ((t ? t : 1) / 1000) }'; }
printf '   input: %d MB synthetic mbox (corpus reports + ordinary mail)\n' $((SIZE >> 20))
printf '   %-34s %7d ms %6s MB/s  (%d reports, max RSS %d MB)\n' "mailops arf list -o tsv" "$tm" "$(mbs "$SIZE" "$tm")" "$rows" $((rss >> 10))
printf '   %-34s %7d ms %6s MB/s  (%d lines)\n' "grep -c '^Feedback-Type:'" "$tg" "$(mbs "$SIZE" "$tg")" "$hits"
if perl -MSisimai -e 1 2>/dev/null; then
	ts=$(ms perl -MSisimai -e 'print Sisimai->dump(shift)' "$D/big.mbox.sample")
	tms=$(ms "$MAILOPS" -o tsv arf list "$D/big.mbox.sample")
	printf '   %-34s %7d ms %6s MB/s  (on a %d MB sample: Sisimai on %d MB would take too long)\n' \
		"Sisimai->dump" "$ts" "$(mbs "$SAMPLE" "$ts")" $((SAMPLE >> 20)) $((SIZE >> 20))
	printf '   %-34s %7d ms %6s MB/s  (the same sample)\n' "mailops arf list -o tsv" "$tms" "$(mbs "$SAMPLE" "$tms")"
	awk -v a="$tms" -v b="$ts" 'BEGIN { printf "   ratio mailops/Sisimai (sample): %.3f (below 1 is faster)\n", a / (b ? b : 1) }'
else
	echo "   Sisimai: not installed (make deps: libsisimai-perl)"
fi
awk -v a="$tm" -v b="$tg" 'BEGIN { r = a / (b ? b : 1); printf "   ratio mailops/grep: %.2f (target within 3x: %s)\n", r, r <= 3 ? "met" : "NOT met" }'
# The floor of any GMime-based listing: GMime building and freeing the
# message tree of each report, and nothing else (tests/helpers/gmime_floor.c),
# on one core, then as if spread perfectly over every core the parsing has.
if [ -x "$TESTBIN/gmime_floor" ]; then
	read -r _ nrep _ tf < <("$TESTBIN/gmime_floor" "$D/big.mbox")
	cores=$(nproc)
	[ "$cores" -gt 4 ] && cores=4
	printf '   %-34s %7d ms              (%d reports, one core)\n' "GMime alone: build + free trees" "$tf" "$nrep"
	awk -v f="$tf" -v c="$cores" -v g="$tg" 'BEGIN { printf "   GMime alone over %d cores: %.0f ms = %.2fx the grep, before a byte is read or a field looked at\n", c, f / c, f / c / (g ? g : 1) }'
fi
