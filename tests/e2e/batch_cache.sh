#!/usr/bin/env bash
# The verification cache on real memcached servers, written by the mail
# filter's own client (Perl's Cache::Memcached and Cache::Memcached::Fast):
# placement with weights, namespace and ketama, listing, values (plain,
# gzip, Storable) read back key by key, TTLs ("never" in the text form),
# the rehash copies a down server leaves at the chain position
# Cache::Memcached picks, deleting every copy, flushing by prefix among
# other keys, keys the text protocol cannot carry, a server named by a
# host name, servers down or silent.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../memcached.sh"
W="perl $ROOT/tests/helpers/cm_write.pl"

if ! mc_start 3; then
	not_ok "memcached_started"
	done_testing
	exit 1
fi
P0=${MC_PORT[0]} P1=${MC_PORT[1]} P2=${MC_PORT[2]}
flush_all() { for i in 0 1 2; do mc_cmd "$i" flush_all >/dev/null; done; }
# actual: "key<TAB>port" for every key each server holds (its own metadump).
actual() {
	for i in 0 1 2; do
		mc_dump "$i" | sed -n 's/^key=\([^ ]*\) .*/\1/p' |
			sed "s/\$/\t${MC_PORT[$i]}/"
	done | perl -pe 's/%([0-9A-Fa-f]{2})/chr(hex($1))/ge' | LC_ALL=C sort
}
conf() { # conf NAME SERVERS [KEY=VALUE...]
	local f=$TMP/$1.conf s=$2
	shift 2
	printf '[cache]\nservers = %s\nconnect_timeout_ms = 1000\nread_timeout_ms = 2000\n' "$s" >"$f"
	for kv in "$@"; do printf '%s\n' "${kv/=/ = }" >>"$f"; done
	echo "$f"
}
now=$(date +%s)
# get_all NAME CONF KVFILE: every key of KVFILE read back with cache get
# (the copy on the primary server) is the value written.
get_all() {
	local name=$1 c=$2 bad="" n=0 k v got
	while read -r k v; do
		n=$((n + 1))
		got=$("$MAILOPS" -c "$c" -o tsv cache get "$k" </dev/null | awk -F'\t' '$3 == "primary" {print $11}')
		[ "$got" = "$v" ] || bad="$bad $k"
	done <"$3"
	expect_eq "$name ($n keys)" "" "$bad"
}
# bin_set I KEY VALUE: a set over the binary protocol, which carries keys
# (a blank, a newline) that a text command line cannot.
bin_set() {
	perl -MIO::Socket::INET -e 'my ($p, $k, $v) = @ARGV; my $s = IO::Socket::INET->new("127.0.0.1:$p") or die "$!\n";
		print $s pack("CCnCCnNNQ>", 0x80, 1, length $k, 8, 0, 0, 8 + length($k) + length($v), 0, 0), pack("NN", 0, 0), $k, $v;
		sysread($s, my $r, 24) == 24 or die "no reply\n"; my @h = unpack("CCnCCn", $r); exit($h[5] ? 1 : 0)' "${MC_PORT[$1]}" "$2" "$3"
}
# DNS: "127.0.0.1:PORT" of a real DNS server serving the test zone
# (mx1.two-mx.test is 127.0.0.1): tests/run's, or one started here (and
# stopped at exit), or empty when none could start.
DNS=${MAILOPS_TEST_DNS:-}
if [ -z "$DNS" ]; then
	at_exit "bash '$ROOT/tests/peers/dnsmasq.sh' stop '$TMP/dns'"
	port=$(bash "$ROOT/tests/peers/dnsmasq.sh" start "$TMP/dns" 2>"$TMP/dns.err") && DNS=127.0.0.1:$port
fi
schema_lines() { # schema_lines N PREFIX
	for i in $(seq 1 "$1"); do echo "$2user$i@example.org valid 250 2.1.5 $((now - i)) mx$((i % 3)).example.org Ok"; done
}

# ---- plain servers, no namespace ----
S="127.0.0.1:$P0 127.0.0.1:$P1 127.0.0.1:$P2"
C=$(conf plain "$S")
{ schema_lines 60 ca:r:; for i in $(seq 1 20); do echo "other:$i unrelated value $i"; done; } >"$TMP/plain.kv"
$W --servers "$S" <"$TMP/plain.kv" >/dev/null
run "$MAILOPS" -c "$C" -o tsv cache list --prefix ca:r:
expect_eq "list_exits_0" 0 "$RC"
expect_eq "list_header" $'key\tserver\tttl_s\tsize\tidle_s\tfetched\tslab_class\tstate\tcode\tage_s' "$(printf '%s\n' "$OUT" | head -1)"
expect_eq "list_prefix_finds_all_60" 60 "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)"
expect_eq "list_keys_on_the_servers_that_hold_them" "$(actual | grep '^ca:r:')" \
	"$(printf '%s\n' "$OUT" | tail -n +2 | awk -F'\t' '{split($2, a, ":"); print $1 "\t" a[2]}' | LC_ALL=C sort)"
expect_eq "list_decodes_schema_state" 60 "$(printf '%s\n' "$OUT" | awk -F'\t' '$8 == "valid" && $9 == 250' | wc -l)"
age=$(printf '%s\n' "$OUT" | awk -F'\t' '$1 == "ca:r:user7@example.org" {print $10}')
# written as answered 7 s before $now; the test may have run a while since;
# the age is read on the server's clock, which memcached ticks once a
# second (it may be a second behind ours)
max=$(( $(date +%s) - now + 7 + 2 ))
if [ -n "$age" ] && [ "$age" -ge 6 ] && [ "$age" -le "$max" ]; then ok "list_age_from_the_answer_time"; else not_ok "list_age_from_the_answer_time" "age=$age, max $max"; fi
expect_eq "list_ttl_never" 60 "$(printf '%s\n' "$OUT" | awk -F'\t' '$3 == -1' | wc -l)"
# For people "never"; for scripts -1 (tsv above, JSON here).
run "$MAILOPS" -c "$C" cache list --prefix ca:r:
expect_eq "list_text_header" "KEY SERVER TTL_S" "$(printf '%s\n' "$OUT" | head -1 | awk '{print $1, $2, $3}')"
expect_eq "list_text_ttl_never" 60 "$(printf '%s\n' "$OUT" | tail -n +2 | awk '$3 == "never"' | wc -l)"
run "$MAILOPS" -c "$C" -o json cache list --prefix ca:r:
expect_eq "list_json_ttl_minus_1" 60 "$(printf '%s\n' "$OUT" | jq -s 'map(select(.ttl_s == -1)) | length')"
run "$MAILOPS" -c "$C" -o tsv cache list --match 'other:1*'
expect_eq "list_match_glob" "other:1 other:10 other:11 other:12 other:13 other:14 other:15 other:16 other:17 other:18 other:19" \
	"$(printf '%s\n' "$OUT" | tail -n +2 | cut -f1 | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
run "$MAILOPS" -c "$C" -o json cache list
expect_eq "list_json_parses_all_80" 80 "$(printf '%s\n' "$OUT" | jq -s length)"

# Placement: for every key, the primary mailops names is where Perl stored it.
bad=""
while read -r k _; do
	p=$("$MAILOPS" -c "$C" -o tsv cache locate "$k" | awk -F'\t' '$2 == "primary" && $3 == "true" {print $1}')
	[ -n "$p" ] || bad="$bad $k"
done <"$TMP/plain.kv"
expect_eq "locate_primary_is_where_cache_memcached_wrote (80 keys)" "" "$bad"
get_all "get_reads_back_every_plain_value" "$C" "$TMP/plain.kv"

# get: the value Perl wrote, decoded.
run "$MAILOPS" -c "$C" -o json cache get ca:r:user5@example.org
expect_eq "get_value" "valid 250 2.1.5 $((now - 5)) mx2.example.org Ok" "$(printf '%s\n' "$OUT" | jq -r .value)"
expect_eq "get_state_code_dsn" "valid 250 2.1.5 mx2.example.org Ok" "$(printf '%s\n' "$OUT" | jq -r '"\(.state) \(.code) \(.dsn) \(.host) \(.text)"')"
expect_eq "get_role_primary" "primary" "$(printf '%s\n' "$OUT" | jq -r .role)"
run "$MAILOPS" -c "$C" cache get ca:r:user5@example.org
expect_match "get_text_form" "^key: +ca:r:user5@example.org" "$OUT"
expect_match "get_text_shows_state" "state: +valid +code: 250" "$OUT"
expect_rc "get_missing_exits_1" 1 "$MAILOPS" -c "$C" cache get ca:r:nobody@example.org
expect_match "get_missing_says_so" "not in the cache" "$ERR"
expect_rc "get_bad_key_exits_64" 64 "$MAILOPS" -c "$C" cache get "has space"
# get does not touch the entry (mg ... u): still "not fetched" in the dump.
run "$MAILOPS" -c "$C" -o tsv cache list --prefix ca:r:user5@
expect_match "get_leaves_fetched_flag" $'\tno\t|\tfalse\t' "$(printf '%s\n' "$OUT" | tail -1)"

# Values as the filter stores them: gzip'd (flag 2) and Storable (flag 1).
long="invalid 550 5.1.1 $now mx1.example.org $(printf 'User unknown %.0s' $(seq 1 40))"
echo "ca:r:gz@example.org $long" | $W --servers "$S" --compress 100 >/dev/null
run "$MAILOPS" -c "$C" -o json cache get ca:r:gz@example.org
expect_eq "gzip_value_decoded" "$long" "$(printf '%s\n' "$OUT" | jq -r .value)"
expect_eq "gzip_encoding_named" "gzip 2" "$(printf '%s\n' "$OUT" | jq -r '"\(.encoding) \(.flags)"')"
expect_eq "gzip_value_state" "invalid" "$(printf '%s\n' "$OUT" | jq -r .state)"
perl -MCache::Memcached -e "Cache::Memcached->new({servers=>[qw($S)]})->set('ref:1', {a => 1}) or die"
run "$MAILOPS" -c "$C" -o json cache get ref:1
expect_eq "storable_shown_as_hex" "storable" "$(printf '%s\n' "$OUT" | jq -r .encoding)"
expect_match "storable_hex" '^[0-9a-f]+$' "$(printf '%s\n' "$OUT" | jq -r .value)"
# A UTF-8 key is listed decoded.
echo "ca:r:jörg@example.org valid 250 - $now mx.example.org Ok" | $W --servers "$S" >/dev/null
run "$MAILOPS" -c "$C" -o tsv cache list --prefix 'ca:r:j'
expect_eq "utf8_key_decoded" "ca:r:jörg@example.org" "$(printf '%s\n' "$OUT" | tail -n +2 | cut -f1)"
run "$MAILOPS" -c "$C" -o json cache get 'ca:r:jörg@example.org'
expect_eq "utf8_key_get" "valid" "$(printf '%s\n' "$OUT" | jq -r .state)"
# A key with a TTL shows its seconds in every form; one without, "never".
echo "ca:r:ttl@example.org valid 250 2.1.5 $now mx.example.org Ok" | $W --servers "$S" --ttl 600 >/dev/null
run "$MAILOPS" -c "$C" cache list --prefix ca:r:ttl@
ttl=$(printf '%s\n' "$OUT" | awk '$1 == "ca:r:ttl@example.org" {print $3}')
if [ -n "$ttl" ] && [ "$ttl" -ge 590 ] && [ "$ttl" -le 600 ]; then ok "list_text_ttl_seconds ($ttl)"; else not_ok "list_text_ttl_seconds" "$OUT"; fi
run "$MAILOPS" -c "$C" cache locate ca:r:user5@example.org
expect_match "locate_text_ttl_never" '^127\.0\.0\.1:[0-9]+ +primary +yes +never ' "$OUT"
run "$MAILOPS" -c "$C" -o tsv cache locate ca:r:user5@example.org
expect_match "locate_tsv_ttl_minus_1" $'\tprimary\ttrue\t-1\t' "$OUT"

# A server named by a host name, resolved through [dns] servers.
if [ -n "$DNS" ]; then
	CD=$(conf dnsname "mx1.two-mx.test:$P0")
	printf '[dns]\nservers = %s\n' "$DNS" >>"$CD"
	run "$MAILOPS" -c "$CD" -o tsv cache list --prefix ca:r:
	expect_eq "host_name_server_list_exits_0" 0 "$RC"
	expect_eq "host_name_server_lists_its_keys" "$(actual | awk -F'\t' -v p="$P0" '$2 == p && /^ca:r:/ {print $1}')" \
		"$(printf '%s\n' "$OUT" | awk -F'\t' -v s="mx1.two-mx.test:$P0" '$2 == s {print $1}' | LC_ALL=C sort)"
else
	not_ok "dns_peer_running" "$(cat "$TMP/dns.err" 2>/dev/null)"
fi

# ---- weighted servers and a namespace ----
flush_all
SW="127.0.0.1:$P0 127.0.0.1:$P1:3 127.0.0.1:$P2"
CW=$(conf weighted "$SW" namespace=mimedefang:)
schema_lines 90 ca:r: >"$TMP/w.kv"
$W --servers "$SW" --namespace mimedefang: <"$TMP/w.kv" >/dev/null
run "$MAILOPS" -c "$CW" -o tsv cache list --prefix ca:r:
expect_eq "namespace_list_finds_all_90" 90 "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)"
expect_eq "namespace_not_shown" 0 "$(printf '%s\n' "$OUT" | grep -c 'mimedefang:')"
expect_eq "weighted_keys_on_their_servers" "$(actual | sed 's/^mimedefang://' | LC_ALL=C sort)" \
	"$(printf '%s\n' "$OUT" | tail -n +2 | awk -F'\t' '{split($2, a, ":"); print $1 "\t" a[2]}' | LC_ALL=C sort)"
heavy=$(printf '%s\n' "$OUT" | awk -F'\t' -v p="127.0.0.1:$P1:3" '$2 == p' | wc -l)
if [ "$heavy" -ge 35 ]; then ok "weight_3_server_holds_most ($heavy of 90)"; else not_ok "weight_3_server_holds_most" "$heavy"; fi
# Keys of another application (no namespace) are not ours.
mc_cmd 0 "set foreign 0 0 1" "x" >/dev/null
run "$MAILOPS" -c "$CW" -o tsv cache list
expect_eq "other_namespace_not_listed" 0 "$(printf '%s\n' "$OUT" | grep -c foreign)"
bad=""
while read -r k _; do
	p=$("$MAILOPS" -c "$CW" -o tsv cache locate "$k" | awk -F'\t' '$2 == "primary" && $3 == "true"')
	[ -n "$p" ] || bad="$bad $k"
done <"$TMP/w.kv"
expect_eq "weighted_namespace_locate_primary (90 keys)" "" "$bad"
get_all "get_reads_back_every_weighted_namespace_value" "$CW" "$TMP/w.kv"

# ---- a server down: Cache::Memcached rehashes; del finds every copy ----
flush_all
CR=$(conf rehash "$S")
schema_lines 30 ca:r: >"$TMP/r.kv"
$W --servers "$S" <"$TMP/r.kv" >/dev/null
mc_stop 1
$W --servers "$S" <"$TMP/r.kv" >"$TMP/r.out" 2>&1
mc_restart 1
# Keys whose primary is server 1 now exist only as rehash copies elsewhere.
# Cache::Memcached's own buckets and _hashfunc give, per key, the chain
# its get_sock walks (each server once, in order) and the server it wrote
# to with server 1 down: the first of the chain that is not server 1.
perl -MCache::Memcached -e 'my ($down, @servers) = @ARGV;
	my $m = Cache::Memcached->new({ servers => \@servers }); $m->init_buckets;
	my ($b, $n) = ($m->{buckets}, $m->{bucketcount});
	while (my $line = <STDIN>) {
		my ($k) = split / /, $line;
		my ($hv, @chain, %seen, $used) = (Cache::Memcached::_hashfunc($k));
		for (my $tries = 0; $tries++ < 20;) {
			my $h = $b->[$hv % $n];
			push @chain, $h unless $seen{$h}++;
			$used //= $h if $h ne $down;
			$hv += Cache::Memcached::_hashfunc($tries . $k);
		}
		my ($pos) = grep { $chain[$_] eq $used } 0 .. $#chain;
		print join("\t", $k, join(" ", @chain), $pos ? "rehash $pos\@$used" : "primary\@$used"), "\n";
	}' "127.0.0.1:$P1" $S <"$TMP/r.kv" >"$TMP/r.chain"
actual >"$TMP/r.actual"
rehash_keys=""
bad=""
badchain=""
nowhere=""
while IFS=$'\t' read -r k chain want; do
	[ "${chain%% *}" = "127.0.0.1:$P1" ] || continue
	rehash_keys="$rehash_keys $k"
	r=$("$MAILOPS" -c "$CR" -o tsv cache locate "$k")
	# The chain mailops names, primary then "rehash N" rows in order.
	got=$(printf '%s\n' "$r" | awk -F'\t' '$2 == "primary" || $2 ~ /^rehash / {print $1}' | tr '\n' ' ' | sed 's/ $//')
	[ "$got" = "$chain" ] || badchain="$badchain $k"
	# The copy: exactly one, at the position Cache::Memcached used.
	[ "$(printf '%s\n' "$r" | awk -F'\t' '$3 == "true" {print $2 "@" $1}')" = "$want" ] || bad="$bad $k"
	# And that is where the servers' own dumps have it.
	[ "$(awk -F'\t' -v k="$k" '$1 == k {print "127.0.0.1:" $2}' "$TMP/r.actual")" = "${want#*@}" ] || nowhere="$nowhere $k"
done <"$TMP/r.chain"
if [ -n "$rehash_keys" ]; then ok "some_keys_belong_to_the_stopped_server"; else not_ok "some_keys_belong_to_the_stopped_server"; fi
expect_eq "rehash_chain_is_cache_memcached_s" "" "$badchain"
expect_eq "rehash_copy_found_on_the_chain at the position Cache::Memcached wrote it" "" "$bad"
expect_eq "rehash_position_is_where_the_servers_hold_it" "" "$nowhere"
k=$(echo $rehash_keys | cut -d' ' -f1)
# And a copy on the primary too, as after the server came back.
echo "$k valid 250 2.1.5 $now mx.example.org Ok" | $W --servers "$S" >/dev/null
run "$MAILOPS" -c "$CR" -o tsv cache del "$k"
expect_eq "del_without_yes_exits_1" 1 "$RC"
expect_eq "del_names_both_copies" 2 "$(printf '%s\n' "$OUT" | grep -c 'would delete')"
run "$MAILOPS" -c "$CR" -o tsv cache del "$k" --yes
expect_eq "del_yes_deletes_every_copy" 2 "$(printf '%s\n' "$OUT" | grep -c $'\tdeleted$')"
left=0
for i in 0 1 2; do mc_cmd "$i" "mg $k v" | grep -q '^VA' && left=$((left + 1)); done
expect_eq "no_copy_left" 0 "$left"
expect_rc "del_again_exits_1" 1 "$MAILOPS" -c "$CR" cache del "$k" --yes
expect_match "del_missing_key_has_a_row" $'\tnot found$' "$("$MAILOPS" -c "$CR" -o tsv cache del "$k" --yes)"
# every key checked before any output or deletion
run "$MAILOPS" -c "$CR" -o tsv cache del "$k" "sp ace" --yes
expect_eq "del_bad_key_exits_64_before_output" "64 " "$RC $OUT"

# ---- flush by prefix among other keys ----
flush_all
CF=$(conf flush "$S" namespace=md:)
{ schema_lines 150 ca:r:; for i in $(seq 1 50); do echo "ca:d:domain$i.example valid 250 - $now mx -"; done; for i in $(seq 1 40); do echo "sess:$i x"; done; } >"$TMP/f.kv"
$W --servers "$S" --namespace md: <"$TMP/f.kv" >/dev/null
get_all "get_reads_back_every_md_namespace_value" "$CF" "$TMP/f.kv"
mc_cmd 0 "set foreign 0 0 1" "x" >/dev/null # another application's key, no namespace
# Live keys, from the servers' own dumps (curr_items also counts items a
# flush_all invalidated until memcached reclaims them, at its own pace).
items() { for i in 0 1 2; do mc_dump "$i"; done | wc -l; }
hits() { echo $(( $(mc_stat 0 delete_hits) + $(mc_stat 1 delete_hits) + $(mc_stat 2 delete_hits) )); }
before=$(items)
run "$MAILOPS" -c "$CF" -o tsv cache flush --prefix ca:r:
expect_eq "flush_without_yes_exits_1" 1 "$RC"
expect_eq "flush_without_yes_counts" 150 "$(printf '%s\n' "$OUT" | tail -n +2 | awk -F'\t' '{s += $2} END {print s}')"
expect_match "flush_without_yes_says_so" "150 keys .* nothing deleted without --yes" "$ERR"
expect_eq "flush_without_yes_changes_nothing" "$before" "$(items)"
expect_rc "flush_repeated_selector_exits_64" 64 "$MAILOPS" -c "$CF" cache flush --prefix zz --prefix ca:r: --dry-run
expect_match "flush_repeated_selector_says_so" "option '--prefix' given twice \\('zz', then 'ca:r:'\\)" "$ERR"
expect_rc "flush_empty_prefix_exits_64" 64 "$MAILOPS" -c "$CF" cache flush --prefix '' --yes
expect_match "flush_empty_prefix_says_all" "say --all if that is meant" "$ERR"
expect_eq "flush_refused_selectors_change_nothing" "$before" "$(items)"
run "$MAILOPS" -c "$CF" -o tsv cache flush --prefix ca:r: --dry-run --yes
expect_eq "dry_run_exits_0" 0 "$RC"
expect_eq "dry_run_changes_nothing" "$before" "$(items)"
h0=$(hits)
run "$MAILOPS" -c "$CF" -o tsv cache flush --prefix ca:r: --yes
expect_eq "flush_yes_exits_0" 0 "$RC"
expect_eq "flush_reports_150_deleted" 150 "$(printf '%s\n' "$OUT" | tail -n +2 | awk -F'\t' '{s += $4} END {print s}')"
expect_eq "delete_hits_delta_is_the_count" 150 "$(( $(hits) - h0 ))"
expect_eq "only_matching_keys_went" $((before - 150)) "$(items)"
run "$MAILOPS" -c "$CF" -o tsv cache list
expect_eq "other_keys_stay" "50 40" "$(printf '%s\n' "$OUT" | tail -n +2 | cut -f1 | awk '/^ca:d:/ {d++} /^sess:/ {s++} END {print d " " s}')"
run "$MAILOPS" -c "$CF" -o tsv cache flush --match 'sess:*' --yes
expect_eq "flush_match_glob" 40 "$(printf '%s\n' "$OUT" | tail -n +2 | awk -F'\t' '{s += $4} END {print s}')"
expect_rc "flush_needs_a_selector" 64 "$MAILOPS" -c "$CF" cache flush --yes
run "$MAILOPS" -c "$CF" -o tsv cache flush --all --yes
expect_eq "flush_all_in_namespace_deletes_its_keys" 50 "$(printf '%s\n' "$OUT" | tail -n +2 | awk -F'\t' '{s += $4} END {print s}')"
expect_eq "flush_all_in_namespace_keeps_foreign" 1 "$(mc_cmd 0 'mg foreign v' | grep -c '^VA')"
run "$MAILOPS" -c "$C" -o tsv cache flush --all --yes
expect_match "flush_all_without_namespace_uses_flush_all" "flush_all done" "$OUT"
# flush_all invalidates lazily (curr_items drops later): ask for the keys.
expect_eq "flush_all_leaves_no_key" "0 0" "$(mc_cmd 0 'mg foreign v' | grep -c '^VA') $("$MAILOPS" -c "$C" -o tsv cache list | tail -n +2 | wc -l)"

# ---- keys the text protocol cannot carry (stored over the binary protocol) ----
# Sent in a pipelined mg or md, "a b" or "a<LF>b" would answer twice and
# shift every answer after it onto the wrong key: they are not sent.
flush_all
for i in $(seq 1 20); do echo "ca:r:u$i@example.org invalid $((500 + i)) 5.1.1 $now mx.example.org No"; done >"$TMP/u.kv"
$W --servers "$S" <"$TMP/u.kv" >/dev/null
bin_set 0 "ca:r:sp ace@example.org" "valid 250 2.1.5 $now mx.example.org Ok"
bin_set 0 $'ca:r:new\nline@example.org' "valid 250 2.1.5 $now mx.example.org Ok"
run "$MAILOPS" -c "$C" -o tsv cache list --prefix ca:r:
expect_eq "unsendable_list_exits_0" 0 "$RC"
expect_eq "unsendable_keys_listed_without_values" 'ca:r:new\nline@example.org ca:r:sp ace@example.org' \
	"$(printf '%s\n' "$OUT" | tail -n +2 | awk -F'\t' '$8 == ""' | cut -f1 | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "every_other_row_has_its_own_value" "20" \
	"$(printf '%s\n' "$OUT" | awk -F'\t' '$1 ~ /^ca:r:u[0-9]+@/ {n = substr($1, 7) + 0; if ($9 == 500 + n) ok++} END {print ok + 0}')"
expect_match "unsendable_list_warns_with_count" "warning: 2 keys that memcached's text protocol cannot carry" "$ERR"
run "$MAILOPS" -c "$C" -o tsv cache flush --prefix ca:r: --yes
expect_eq "unsendable_flush_exits_0" 0 "$RC"
expect_eq "unsendable_flush_deletes_the_others" "20 0" "$(printf '%s\n' "$OUT" | tail -n +2 | awk -F'\t' '{d += $4; e += $6} END {print d " " e}')"
expect_match "unsendable_flush_warns_with_count" "warning: 2 matching keys that memcached's text protocol cannot carry" "$ERR"
expect_eq "unsendable_keys_left_alone" "2" "$(mc_dump 0 | grep -c 'sp%20ace\|new%0Aline')"
expect_eq "no_other_key_left" "0" "$(for i in 0 1 2; do mc_dump "$i"; done | grep -c 'key=ca%3Ar%3Au')"
flush_all

# ---- servers down, refusing or silent ----
schema_lines 30 ca:r: | $W --servers "$S" >/dev/null
mc_stop 2
run "$MAILOPS" -c "$C" -o tsv cache list --prefix ca:r:
expect_eq "list_with_a_server_down_exits_75" 75 "$RC"
expect_match "list_warns_down" "127.0.0.1:$P2 is DOWN" "$ERR"
n=$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)
if [ "$n" -gt 0 ] && [ "$n" -lt 30 ]; then ok "list_answers_for_the_others ($n rows)"; else not_ok "list_answers_for_the_others" "$n rows"; fi
run "$MAILOPS" -c "$C" -o tsv cache stats
expect_eq "stats_with_a_server_down_exits_75" 75 "$RC"
expect_match "stats_row_down" $'127.0.0.1:'"$P2"$'\tDOWN\t' "$OUT"
expect_match "stats_pool_row" $'^\\(pool\\)\t2/3\t' "$OUT"
# refused without --yes while a server is down: 1, and it says nothing went
run "$MAILOPS" -c "$C" -o tsv cache flush --prefix ca:r:
expect_eq "flush_refused_with_a_server_down_exits_1" 1 "$RC"
expect_match "flush_refused_with_a_server_down_says_so" "would go on the servers that answered; nothing deleted without --yes" "$ERR"
run "$MAILOPS" -c "$C" -o tsv cache flush --prefix ca:r: --dry-run
expect_eq "flush_dry_run_with_a_server_down_exits_75" 75 "$RC"
mc_stop 0
mc_stop 1
expect_rc "all_down_exits_69" 69 "$MAILOPS" -c "$C" cache stats
expect_match "all_down_says_so" "no memcached server answered" "$ERR"
mc_restart 0
mc_restart 1
mc_restart 2
# A server that accepts and never answers: DOWN after read_timeout_ms.
perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 5, ReuseAddr => 1) or die;
	open(F, ">", $ARGV[0]); print F $s->sockport, "\n"; close F; my @c; while (my $c = $s->accept) { push @c, $c }' "$TMP/silent.port" &
silent=$!
at_exit "kill $silent"
for _ in $(seq 1 50); do [ -s "$TMP/silent.port" ] && break; sleep 0.02; done
CS=$(conf silent "127.0.0.1:$P0 127.0.0.1:$(cat "$TMP/silent.port")" read_timeout_ms=300)
start=$(date +%s%N)
run "$MAILOPS" -c "$CS" -o tsv cache stats
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "silent_server_partial_exits_75" 75 "$RC"
expect_match "silent_server_timed_out" "no reply in time" "$ERR"
if [ "$ms" -lt 3000 ]; then ok "silent_server_bounded_by_read_timeout ($ms ms)"; else not_ok "silent_server_bounded_by_read_timeout" "$ms ms"; fi

# A server with metadump disabled (-X): the settings check says so.
mc_start_one 3 -X || not_ok "memcached_minus_x_started"
CX=$(conf nodump "127.0.0.1:${MC_PORT[3]}")
run "$MAILOPS" -c "$CX" -o tsv cache stats
expect_match "settings_check_warns_no_metadump" "metadump disabled" "$OUT"
run "$MAILOPS" -c "$CX" -o tsv cache list
expect_eq "list_on_no_metadump_exits_75" 75 "$RC"
expect_match "list_on_no_metadump_says_refused" "metadump refused" "$ERR"

# A server older than 1.6.9 refuses the hash walk: the LRU walk instead.
perl "$ROOT/tests/peers/old_memcached.pl" "$TMP/old.port" &
old=$!
at_exit "kill $old"
for _ in $(seq 1 50); do [ -s "$TMP/old.port" ] && break; sleep 0.02; done
CO=$(conf old "127.0.0.1:$(cat "$TMP/old.port")")
run "$MAILOPS" -c "$CO" -o tsv cache list
expect_eq "list_on_old_server_exits_0" 0 "$RC"
expect_eq "list_on_old_server_falls_back_to_lru_walk" "ca:r:old1@example.org ca:r:old2@example.org" \
	"$(printf '%s\n' "$OUT" | tail -n +2 | cut -f1 | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"

# ---- two listings at once ----
# memcached crawls for one client at a time and answers BUSY to a second
# metadump; each listing asks again until the crawler is free, so both
# are complete.
flush_all
mc_fill 0 150000 'ca:r:busy' 'valid 250 2.1.5 1764000000 mx -'
C1=$(conf busy "127.0.0.1:${MC_PORT[0]}")
"$MAILOPS" -c "$C1" -o tsv cache list --prefix ca:r:busy >"$TMP/busy1.out" 2>"$TMP/busy1.err" &
b1=$!
"$MAILOPS" -c "$C1" -o tsv cache list --prefix ca:r:busy >"$TMP/busy2.out" 2>"$TMP/busy2.err" &
b2=$!
wait "$b1"; r1=$?
wait "$b2"; r2=$?
expect_eq "concurrent_listings_both_complete" "0 0 150000 150000" \
	"$r1 $r2 $(($(wc -l <"$TMP/busy1.out") - 1)) $(($(wc -l <"$TMP/busy2.out") - 1))"
expect_nomatch "concurrent_listings_no_busy_refusal" 'BUSY' "$(cat "$TMP/busy1.err" "$TMP/busy2.err")"

# ---- Cache::Memcached::Fast with ketama_points ----
flush_all
CK=$(conf ketama "$SW" namespace=fast: hash=ketama ketama_points=150)
schema_lines 200 ca:r: >"$TMP/k.kv"
$W --fast --ketama 150 --servers "$SW" --namespace fast: <"$TMP/k.kv" >/dev/null
run "$MAILOPS" -c "$CK" -o tsv cache list --prefix ca:r:
expect_eq "ketama_list_finds_all_200" 200 "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)"
get_all "get_reads_back_every_ketama_namespace_value" "$CK" "$TMP/k.kv"
bad=""
while read -r k _; do
	p=$("$MAILOPS" -c "$CK" -o tsv cache locate "$k" | awk -F'\t' '$2 == "primary" && $3 == "true"')
	[ -n "$p" ] || bad="$bad $k"
done < <(head -60 "$TMP/k.kv")
expect_eq "ketama_locate_primary_is_where_fast_wrote (60 keys)" "" "$bad"
expect_eq "ketama_placement_of_all_200" "$(actual | sed 's/^fast://' | LC_ALL=C sort)" \
	"$("${TESTBIN:-$ROOT/build/tests}/mc_place" "$SW" ketama 150 $(cut -d' ' -f1 "$TMP/k.kv") | awk -F'\t' '{split($2, a, ":"); print $1 "\t" a[2]}' | LC_ALL=C sort)"

done_testing
