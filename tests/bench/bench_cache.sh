#!/usr/bin/env bash
# A memcached with 1M keys, against the tools a postmaster would use
# instead, and the issue's two targets, each ending in a line
# "target: ... met|NOT met (measured)":
#   - a complete listing of 1M keys: mailops cache list finds every key
#     (counted against curr_items, and against libmemcached's memcdump,
#     whose "stats cachedump" shows only part of each slab class);
#   - a 100k-key flush by prefix at least 20x faster than the pipeline
#     memcdump | grep | xargs memcrm.
# What a flush leaves is counted exactly (gets of every key). mailops
# lists with "lru_crawler metadump hash" (falling back to "all" before
# memcached 1.6.9): the hash-table walk sees every item once; the LRU walk
# of "all" can miss items that memcached moves between its LRU segments
# while the dump is read.
#   BENCH_CACHE_KEYS=N (1000000)  keys in memcached
#   BENCH_CACHE_FLUSH=N (100000)  of which flushed by prefix
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
export ROOT
. "$ROOT/tests/lib.sh" >/dev/null
. "$ROOT/tests/memcached.sh"
N=${BENCH_CACHE_KEYS:-1000000}
F=${BENCH_CACHE_FLUSH:-100000}
mc_start 1 -m 2048 || { echo "   memcached did not start"; exit 1; }
S=127.0.0.1:${MC_PORT[0]}
printf '[cache]\nservers = %s\nread_timeout_ms = 10000\n' "$S" >"$TMP/c.conf"
mc_fill 0 $((N - F)) "ca:r:user" "valid 250 2.1.5 1764000000 mx1.example.org Ok"
mc_fill 0 "$F" "flush:" "x"
items=$(mc_stat 0 curr_items)
echo "   memcached $(mc_stat 0 version): $items keys ($((N - F)) ca:r:*, $F flush:*)"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
row() { printf '   %-60s %12s\n' "$1" "$2"; }
# ratio A B: A / B, to two places
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }'; }
target() { # target WHAT MET MEASURED
	printf '   target: %s: %s (%s)\n' "$1" "$([ "$2" = 1 ] && echo met || echo NOT met)" "$3"
}

# ---- listing ----
t0=$(now_ms)
found_m=$("$MAILOPS" -c "$TMP/c.conf" -o tsv cache list --prefix flush: | tail -n +2 | wc -l)
m1=$(($(now_ms) - t0))
t0=$(now_ms)
found_a=$("$MAILOPS" -c "$TMP/c.conf" -o tsv cache list | tail -n +2 | wc -l)
m2=$(($(now_ms) - t0))
t0=$(now_ms)
found_d=$(memcdump --servers="$S" 2>/dev/null | wc -l)
d1=$(($(now_ms) - t0))
# What the server itself sends, read by a bare reader: the floor of any listing.
t0=$(now_ms)
found_b=$(perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new($ARGV[0]) or die; print $s "lru_crawler metadump hash\r\n";
	$n = 0; while (<$s>) { last if /^END\r?$/; $n++ } print "$n\n"' "$S")
b1=$(($(now_ms) - t0))
row "mailops cache list --prefix flush: (no values)" "$m1 ms"
row "   keys found" "$found_m of $F"
row "mailops cache list (all, values of $((N - F)) entries)" "$m2 ms"
row "   keys found" "$found_a of $items"
row "memcdump (stats cachedump)" "$d1 ms"
row "   keys found" "$found_d of $items"
row "bare reader of lru_crawler metadump hash (no decoding)" "$b1 ms"
row "   keys found" "$found_b of $items"
target "complete listing of $N keys (found vs curr_items; memcdump for comparison)" \
	"$([ "$found_a" -eq "$items" ] && [ "$items" -eq "$N" ] && echo 1)" \
	"mailops found $found_a of $items in $m2 ms; memcdump found $found_d in $d1 ms"

# ---- flush of F keys by prefix ----
t0=$(now_ms)
"$MAILOPS" -c "$TMP/c.conf" cache flush --prefix flush: --yes >"$TMP/flush.out" 2>&1
fm=$(($(now_ms) - t0))
left_m=$(mc_count 0 flush: "$F")
# The issue's baseline: the pipeline a postmaster would use.
mc_fill 0 "$F" "flush:" "x"
before_p=$(mc_count 0 flush: "$F")
t0=$(now_ms)
memcdump --servers="$S" 2>/dev/null | grep '^flush:' | xargs -r memcrm --servers="$S" >/dev/null 2>&1
fp=$(($(now_ms) - t0))
left_p=$(mc_count 0 flush: "$F")
# The same memcrm given every key (as if memcdump could list them all):
# what one delete round trip per key costs for all of them.
mc_fill 0 "$F" "flush:" "x"
t0=$(now_ms)
seq -f 'flush:%g' 1 "$F" | xargs -r memcrm --servers="$S" >/dev/null 2>&1
fx=$(($(now_ms) - t0))
left_x=$(mc_count 0 flush: "$F")
# The pipeline run again until memcdump lists no key of the prefix (at
# most 500 rounds): what it takes it to do the job mailops does in one go.
mc_fill 0 "$F" "flush:" "x"
t0=$(now_ms)
rounds=0
while [ "$rounds" -lt 500 ]; do
	memcdump --servers="$S" 2>/dev/null | grep '^flush:' >"$TMP/round.keys"
	[ -s "$TMP/round.keys" ] || break
	xargs -r memcrm --servers="$S" <"$TMP/round.keys" >/dev/null 2>&1
	rounds=$((rounds + 1))
done
fr=$(($(now_ms) - t0))
left_r=$(mc_count 0 flush: "$F")
row "mailops cache flush --prefix flush: --yes" "$fm ms"
row "   left behind" "$left_m of $F"
row "memcdump | grep | xargs memcrm" "$fp ms"
row "   left behind" "$left_p of $before_p"
row "the pipeline again until memcdump lists none ($rounds rounds)" "$fr ms"
row "   left behind" "$left_r of $F"
row "seq | xargs memcrm (every key given; not a listing)" "$fx ms"
row "   left behind" "$left_x of $F"
r_p=$(ratio "$fp" "$fm")
r_x=$(ratio "$fx" "$fm")
row "ratio: (memcdump | grep | xargs memcrm) / mailops flush" "${r_p}x"
row "ratio: (seq | xargs memcrm, every key) / mailops flush" "${r_x}x"
r_r=$(ratio "$fr" "$fm")
row "ratio: (the pipeline until done) / mailops flush" "${r_r}x"
# The pipeline deletes only what memcdump listed: its time per key it
# deleted, against mailops' per key deleted (numerators and denominators
# printed, as the two did different amounts of work).
del_m=$((F - left_m)) del_p=$((before_p - left_p))
row "us per key deleted: mailops ($fm ms / $del_m keys)" "$(awk -v t="$fm" -v n="$del_m" 'BEGIN { printf "%.1f", n ? 1000 * t / n : 0 }')"
row "us per key deleted: pipeline ($fp ms / $del_p keys)" "$(awk -v t="$fp" -v n="$del_p" 'BEGIN { printf "%.1f", n ? 1000 * t / n : 0 }')"
# Met only if it is also complete: a fast flush that leaves keys is not one.
target "${F}-key flush by prefix >= 20x faster than memcdump | grep | xargs memcrm" \
	"$(awk -v r="$r_p" -v l="$left_m" 'BEGIN { print (r >= 20 && l == 0) ? 1 : 0 }')" \
	"${r_p}x: $fp ms / $fm ms; mailops left $left_m of $F, the pipeline $left_p of $before_p"
