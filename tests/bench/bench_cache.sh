#!/usr/bin/env bash
# A memcached with 1M keys: mailops cache list against libmemcached's
# memcdump (time, and how many keys each finds), and a 100k-key flush by
# prefix against the pipeline a postmaster would use instead:
# memcdump | grep | xargs memcrm. What is left is counted exactly (gets of
# every key). Note: a metadump taken while memcached is still moving fresh
# items between its LRU segments can miss a few of them (memcached's own
# limit); mailops' counts show it.
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
fill() {
	mc_fill 0 $((N - F)) "ca:r:user" "valid 250 2.1.5 1764000000 mx1.example.org Ok"
	mc_fill 0 "$F" "flush:" "x"
}
fill
echo "   memcached: $(mc_stat 0 curr_items) keys ($((N - F)) ca:r:*, $F flush:*)"
ms() { local s=$(date +%s%N); "$@" >/dev/null 2>&1; echo $(( ($(date +%s%N) - s) / 1000000 )); }
row() { printf '   %-52s %8s\n' "$1" "$2"; }
ratio() { awk -v a="$2" -v b="$3" -v l="$1" 'BEGIN { printf "   %-52s %8.2f\n", l, a / (b ? b : 1) }'; }

t0=$(date +%s%N)
found_m=$("$MAILOPS" -c "$TMP/c.conf" -o tsv cache list --prefix flush: | tail -n +2 | wc -l)
m1=$(( ($(date +%s%N) - t0) / 1000000 ))
t0=$(date +%s%N)
found_a=$("$MAILOPS" -c "$TMP/c.conf" -o tsv cache list | tail -n +2 | wc -l)
m2=$(( ($(date +%s%N) - t0) / 1000000 ))
t0=$(date +%s%N)
found_d=$(memcdump --servers="$S" 2>/dev/null | wc -l)
d1=$(( ($(date +%s%N) - t0) / 1000000 ))
row "mailops cache list --prefix flush: (no values)" "$m1 ms"
row "   keys found" "$found_m of $F"
row "mailops cache list (all, values of $((N - F)) entries)" "$m2 ms"
row "   keys found" "$found_a of $N"
row "memcdump (stats cachedump)" "$d1 ms"
row "   keys found" "$found_d of $N"
ratio "memcdump / mailops list --prefix (time)" "$d1" "$m1"

t0=$(date +%s%N)
"$MAILOPS" -c "$TMP/c.conf" cache flush --prefix flush: --yes >"$TMP/flush.out" 2>&1
fm=$(( ($(date +%s%N) - t0) / 1000000 ))
left_m=$(mc_count 0 flush: "$F")
fill
before_p=$(mc_count 0 flush: "$F")
t0=$(date +%s%N)
memcdump --servers="$S" 2>/dev/null | grep '^flush:' | xargs -r memcrm --servers="$S" >/dev/null 2>&1
fp=$(( ($(date +%s%N) - t0) / 1000000 ))
left_p=$(mc_count 0 flush: "$F")
# The pipeline again, given every key (as if memcdump could list them all):
# what deleting 100k keys one memcrm round trip each costs.
fill
t0=$(date +%s%N)
seq -f 'flush:%g' 1 "$F" | xargs -r memcrm --servers="$S" >/dev/null 2>&1
fx=$(( ($(date +%s%N) - t0) / 1000000 ))
left_x=$(mc_count 0 flush: "$F")
t0=$(date +%s%N)
perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new($ARGV[0]) or die; print $s "lru_crawler metadump all\r\n";
	while (sysread($s, $b, 1 << 20)) { last if $b =~ /END\r\n$/ }' "$S"
dump_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
row "memcached's own metadump of $N keys (a bare reader)" "$dump_ms ms"
row "mailops cache flush --prefix flush: --yes" "$fm ms"
row "   left behind" "$left_m of $F"
row "memcdump | grep | xargs memcrm" "$fp ms"
row "   left behind" "$left_p of $before_p"
row "seq | xargs memcrm (the full key list given)" "$fx ms"
row "   left behind" "$left_x of $F"
ratio "memcrm of all keys / mailops flush (time)" "$fx" "$fm"
ratio "memcrm of all keys / mailops' deletes alone" "$fx" "$((fm > dump_ms ? fm - dump_ms : 1))"
