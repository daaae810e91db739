#!/usr/bin/env bash
# Damaged databases give a clear error, never a crash or a hang: 60
# reproducible corruptions of a db built by makemap -N (hash) and of one
# built as a btree, each read by list, show and expand. libdb itself can
# crash or loop on such files (it runs in a child process for this); the
# answer must be 0/1 (the damage missed what was read) or 65 with a
# message naming the file.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../mta.sh"
D=$MTA_DIR/corrupt
mkdir -p "$D"
chmod 755 "$D"
awk 'BEGIN { for (i = 1; i <= 5000; i++) printf "alias%d\talias%d, user%d@example.org\n", i, i + 1, i; print "@\t@" }' >"$D/kv"
sm_makemap -N hash "$D/base-hash" <"$D/kv"
sm_makemap -N btree "$D/base-btree" <"$D/kv"
bad=""
crashes=0
errors=0
runs=0
for kind in hash btree; do
	for seed in $(seq 1 30); do
		"$TESTBIN/corrupt" "$D/base-$kind.db" "$D/c.db" "$seed" || { bad="$bad corrupt-helper-failed"; continue; }
		printf '[aliases]\ndb = %s/c.db\nlock_wait_ms = 0\n' "$D" >"$D/c.conf"
		for verb in "list" "show alias2500" "expand alias4990"; do
			# shellcheck disable=SC2086
			timeout 30 "$MAILOPS" -c "$D/c.conf" aliases $verb >/dev/null 2>"$D/err"
			rc=$?
			runs=$((runs + 1))
			case $rc in
			0 | 1) ;;
			65)
				errors=$((errors + 1))
				grep -q "c.db" "$D/err" || bad="$bad [$kind seed $seed $verb: 65 without the file name]"
				;;
			*)
				crashes=$((crashes + 1))
				bad="$bad [$kind seed $seed $verb: exit $rc $(head -c 200 "$D/err")]"
				;;
			esac
		done
	done
done
expect_eq "no_crash_or_hang_on_corrupt_db ($runs runs, $errors reported corrupt)" "" "$bad"
if [ "$errors" -gt 0 ]; then ok "some_corruption_detected"; else not_ok "some_corruption_detected" "no run reported 65"; fi
done_testing
