#!/usr/bin/env bash
# mailops callahead against a real Postfix on 127.0.0.1 (known users and
# aliases of local.test), a real memcached holding the verification cache,
# and a real dnsmasq answering MX for the test domains: Postfix's own
# answers, what gets cached and for how long, a hit served without a
# connection, aliases first, the MX walk, and the filter's Perl snippet
# reading what mailops wrote and the other way round.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../mta.sh"
. "$(dirname "$0")/../postfix.sh"
. "$(dirname "$0")/../memcached.sh"

if ! pf_start 2>"$TMP/pf.err"; then
	not_ok "postfix_started" "$(cat "$TMP/pf.err")"
	done_testing
	exit 1
fi
if ! mc_start 1; then
	not_ok "memcached_started"
	done_testing
	exit 1
fi
DNSDIR=$TMP/dns
if ! dport=$(DNSMASQ_EXTRA="--mx-host=local.test,mx.local.test,10 --host-record=mx.local.test,127.0.0.1" \
	bash "$ROOT/tests/peers/dnsmasq.sh" start "$DNSDIR" 2>"$TMP/dns.err"); then
	not_ok "dnsmasq_started" "$(cat "$TMP/dns.err")"
	done_testing
	exit 1
fi
at_exit "bash $ROOT/tests/peers/dnsmasq.sh stop $DNSDIR"
MC="127.0.0.1:${MC_PORT[0]}"
CACHE_CLI="perl $ROOT/tests/helpers/ca_cache.pl --servers $MC"

# The local alias db, built by mailops from a text file.
printf 'sales: alice, bob\nteam: :include:/nonexistent\n' >"$TMP/aliases"
"$MAILOPS" aliases build --yes "$TMP/aliases" "$TMP/aliases.db" >/dev/null 2>&1

conf() { # conf NAME [KEY=VALUE...] ([callahead] keys)
	local f=$TMP/$1.conf
	shift
	{
		printf '[aliases]\ndb = %s\nlocal_domains = corp.test\n' "$TMP/aliases.db"
		printf '[cache]\nservers = %s\n' "$MC"
		printf '[dns]\nservers = 127.0.0.1:%s\ntimeout_ms = 1000\ntries = 1\n' "$dport"
		printf '[callahead]\nhelo = probe.mailops.test\nconnect_timeout = 5\nreply_timeout = 5\n'
		for kv in "$@"; do printf '%s\n' "${kv/=/ = }"; done
	} >"$f"
	echo "$f"
}
sessions() { grep -c 'smtpd.*: connect from' "$PF_I/maillog" 2>/dev/null || echo 0; }
field() { printf '%s\n' "$OUT" | awk -F'\t' -v c="$1" -v a="$2" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next } $h["address"] == a { print $h[c] }'; }

C=$(conf direct "server=127.0.0.1:$PF_PORT")

# ---- Postfix's own answers ----
run "$MAILOPS" -c "$C" -o tsv callahead alice@local.test
expect_eq "valid_user_exits_0" 0 "$RC"
expect_eq "valid_user_state" "valid 250 2.1.5 probe" \
	"$(field state alice@local.test) $(field code alice@local.test) $(field dsn alice@local.test) $(field source alice@local.test)"
expect_match "valid_user_server_named" '127\.0\.0\.1' "$(field server alice@local.test)"
run "$MAILOPS" -c "$C" -o tsv callahead ghost@local.test
expect_eq "unknown_user_exits_1" 1 "$RC"
expect_eq "unknown_user_state" "invalid 550 5.1.1" \
	"$(field state ghost@local.test) $(field code ghost@local.test) $(field dsn ghost@local.test)"
expect_match "unknown_user_postfix_text" 'Recipient address rejected: User unknown in local recipient table' \
	"$(field text ghost@local.test)"
run "$MAILOPS" -c "$C" -o tsv callahead --no-cache sales@local.test
expect_eq "postfix_alias_valid" "valid" "$(field state sales@local.test)"
run "$MAILOPS" -c "$C" -o tsv callahead --no-cache --accept-all-probe bob@local.test
expect_eq "accept_all_probe_on_postfix_is_valid" "valid" "$(field state bob@local.test)"
run "$MAILOPS" -c "$C" -o tsv callahead --no-cache someone@example.org
expect_eq "relay_denied_is_invalid" "invalid 554" "$(field state someone@example.org) $(field code someone@example.org)"
expect_eq "never_data" 0 "$(grep -c 'DATA\|queued as\|status=sent' "$PF_I/maillog")"

# ---- what was cached ----
rv=$(mc_cmd 0 'mg ca:r:alice@local.test v t' | tr -d '\r')
expect_match "valid_cached" '^VA [0-9]+ t(60480[0-9]|6047[0-9][0-9])$' "$(printf '%s\n' "$rv" | head -1)"
expect_match "valid_cached_value" '^valid 250 2\.1\.5 [0-9]+ 127\.0\.0\.1 .*Ok$' "$(printf '%s\n' "$rv" | sed -n 2p)"
iv=$(mc_cmd 0 'mg ca:r:ghost@local.test v t' | tr -d '\r')
expect_match "invalid_cached_25h" '^VA [0-9]+ t(900[0-9][0-9]|899[0-9][0-9])$' "$(printf '%s\n' "$iv" | head -1)"
expect_match "invalid_cached_value" '^invalid 550 5\.1\.1 [0-9]+ ' "$(printf '%s\n' "$iv" | sed -n 2p)"
expect_eq "no_cache_means_no_write" "EN" "$(mc_cmd 0 'mg ca:r:sales@local.test v' | tr -d '\r' | head -1)"

# ---- a hit is served without a connection ----
before=$(sessions)
run "$MAILOPS" -c "$C" -o tsv callahead alice@local.test ghost@local.test
expect_eq "hits_exit_1_for_the_invalid" 1 "$RC"
expect_eq "hit_source_cache" "cache cache" "$(field source alice@local.test) $(field source ghost@local.test)"
expect_match "hit_has_age_and_ttl" '^[0-9]+ 60[0-9]{4}$' "$(field cache_age_s alice@local.test) $(field cache_ttl_s alice@local.test)"
expect_eq "hit_made_no_connection" "$before" "$(sessions)"
run "$MAILOPS" -c "$C" -o tsv callahead --no-cache alice@local.test
expect_eq "no_cache_probes" "probe" "$(field source alice@local.test)"

# ---- aliases first: local domains answer without SMTP ----
before=$(sessions)
run "$MAILOPS" -c "$C" -o tsv callahead sales@corp.test root@corp.test
expect_eq "alias_and_user_exit_0" 0 "$RC"
expect_eq "alias_first" "valid alias valid user" \
	"$(field state sales@corp.test) $(field source sales@corp.test) $(field state root@corp.test) $(field source root@corp.test)"
expect_match "alias_shows_its_targets" 'alice, bob' "$(field text sales@corp.test)"
expect_eq "aliases_made_no_connection" "$before" "$(sessions)"
# The extra maps (Postfix virtual, built by postmap): whole addresses, then @domain.
printf 'exact@virt.test alice\n@catchall.test bob\n' >"$TMP/virtual"
pf_postmap "hash:$TMP/virtual"
CV=$TMP/virt.conf
sed "s|^local_domains = corp.test|local_domains = corp.test virt.test catchall.test\nmaps = hash:$TMP/virtual|" "$C" >"$CV"
before=$(sessions)
run "$MAILOPS" -c "$CV" -o tsv callahead exact@virt.test anyone@catchall.test
expect_eq "virtual_maps_first" "valid alias valid alias" \
	"$(field state exact@virt.test) $(field source exact@virt.test) $(field state anyone@catchall.test) $(field source anyone@catchall.test)"
expect_eq "virtual_maps_made_no_connection" "$before" "$(sessions)"
run "$MAILOPS" -c "$C" -o tsv callahead nobody-here@corp.test
expect_eq "local_unknown_goes_to_the_server" "probe" "$(field source nobody-here@corp.test)"

# ---- many at once, sharing sessions ----
{
	for i in $(seq 1 40); do echo "alice@local.test"; echo "ghost$i@local.test"; echo "bob@local.test"; done
} >"$TMP/many.txt"
before=$(sessions)
start=$(date +%s%N)
run "$MAILOPS" -c "$C" -o tsv callahead --no-cache -j 8 - <"$TMP/many.txt"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "stdin_list_exits_1" 1 "$RC"
expect_eq "stdin_rows_in_order" "$(cat "$TMP/many.txt")" "$(printf '%s\n' "$OUT" | tail -n +2 | cut -f1)"
states=$(printf '%s\n' "$OUT" | tail -n +2 | cut -f2)
expect_eq "stdin_states" "80 valid, 40 invalid" "$(grep -cx valid <<<"$states") valid, $(grep -cx invalid <<<"$states") invalid"
n=$(( $(sessions) - before ))
# 120 checks, at most per_server (4) at once, a new session after 8 rejections.
if [ "$n" -ge 1 ] && [ "$n" -le 30 ]; then ok "sessions_shared ($n sessions for 120 checks, ${ms} ms)"; else not_ok "sessions_shared" "$n sessions"; fi

# ---- the MX walk through real DNS ----
CM=$(conf mx "mx_port=$PF_PORT" allow_private=yes)
run "$MAILOPS" -c "$CM" -o tsv callahead --no-cache alice@local.test
expect_eq "mx_walk_valid" "valid" "$(field state alice@local.test)"
expect_match "mx_walk_names_the_mx" '^mx\.local\.test \[127\.0\.0\.1\]' "$(field server alice@local.test)"
run "$MAILOPS" -c "$CM" -o tsv callahead --no-cache x@nx.test x@nullmx.test
expect_eq "nxdomain_and_null_mx_exit_1" 1 "$RC"
expect_eq "nxdomain_no_domain" "no-domain" "$(field state x@nx.test)"
expect_eq "null_mx_no_mail" "no-mail" "$(field state x@nullmx.test)"
CP=$(conf private "mx_port=$PF_PORT")
run "$MAILOPS" -c "$CP" -o tsv callahead --no-cache alice@local.test
expect_eq "loopback_mx_skipped" "error" "$(field state alice@local.test)"
expect_match "loopback_mx_says_why" 'loopback' "$(field text alice@local.test)"
run "$MAILOPS" -c "$CM" -o tsv callahead mx two-mx.test
expect_eq "mx_verb_exits_0" 0 "$RC"
expect_eq "mx_verb_order" "10 mx1.two-mx.test|20 mx2.two-mx.test" \
	"$(printf '%s\n' "$OUT" | tail -n +2 | cut -f1,2 | tr '\t' ' ' | paste -sd'|')"
expect_rc "mx_verb_nxdomain_exits_1" 1 "$MAILOPS" -c "$CM" callahead mx nx.test

# ---- routes (mailertable style) ----
printf '# routes\nlocal.test\t[127.0.0.1]:%s\n.sub.test smtp:[127.0.0.1]:%s\n' "$PF_PORT" "$PF_PORT" >"$TMP/routes"
CR=$(conf routes "routes=$TMP/routes" mx_port=1)
run "$MAILOPS" -c "$CR" -o tsv callahead --no-cache bob@local.test
expect_eq "route_used" "valid" "$(field state bob@local.test)"

# ---- the filter's Perl snippet and mailops share the entries ----
expect_match "snippet_reads_what_mailops_wrote" '^valid 250 2\.1\.5 [0-9]+ ' "$($CACHE_CLI get alice@local.test)"
$CACHE_CLI put carol@example.net invalid 550 5.1.1 mx.example.net "no such user" >/dev/null
run "$MAILOPS" -c "$C" -o tsv callahead carol@example.net
expect_eq "mailops_reads_what_the_snippet_wrote" "invalid cache 550" \
	"$(field state carol@example.net) $(field source carol@example.net) $(field code carol@example.net)"
expect_eq "snippet_and_mailops_agree_on_keys" "ca:r:upper%20case@x.test" "$($CACHE_CLI key r 'Upper Case@X.test')"

# A key too long for memcached is hashed; the snippet agrees, and the
# cache plugin decodes the entry under its h: key.
long="$(head -c 260 /dev/zero | tr '\0' x)@local.test"
run "$MAILOPS" -c "$C" -o tsv callahead "$long"
expect_eq "long_address_invalid" "invalid" "$(field state "$long")"
hkey=$($CACHE_CLI key r "$long")
expect_match "long_address_key_is_hashed" '^ca:h:[0-9a-f]{40}$' "$hkey"
run "$MAILOPS" -c "$C" -o tsv cache list --prefix ca:h:
expect_eq "hashed_entry_listed_with_its_state" "$hkey invalid" "$(printf '%s\n' "$OUT" | awk -F'\t' 'NR > 1 {print $1, $8}')"

# ---- a pool with the key's server down: read where the filter wrote ----
# Cache::Memcached rehashes a dead server's keys to the next live one of
# the key's chain; the check reads them there (and says nothing is lost).
if mc_start_one 1 && mc_start_one 2; then
	POOL="127.0.0.1:${MC_PORT[1]} 127.0.0.1:${MC_PORT[2]}"
	addr=""
	for i in $(seq 1 50); do
		a="rh$i@offpool.test"
		place=$("$TESTBIN/mc_place" "$POOL" crc 0 "ca:r:$a" | cut -f2)
		if [ "$place" = "127.0.0.1:${MC_PORT[2]}" ]; then addr=$a; break; fi
	done
	mc_stop 2
	perl "$ROOT/tests/helpers/ca_cache.pl" --servers "$POOL" put "$addr" valid 250 2.1.5 mx.offpool.test Ok >/dev/null
	CP=$(conf pool)
	sed -i "s|^servers = $MC\$|servers = $POOL|" "$CP"
	run "$MAILOPS" -c "$CP" -o tsv callahead check "$addr"
	expect_eq "rehash_copy_read_while_primary_down" "valid cache" "$(field state "$addr") $(field source "$addr")"
	expect_nomatch "rehash_copy_read_without_unavailable_warning" 'verification cache unavailable' "$ERR"
else
	not_ok "rehash_pool_started"
fi

# ---- JSON for scripts ----
run "$MAILOPS" -c "$C" -o json callahead alice@local.test
expect_eq "json_parses" "valid" "$(printf '%s\n' "$OUT" | jq -r .state)"

done_testing
