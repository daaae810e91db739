#!/usr/bin/env bash
# tests/e2e/batch_benford.sh: `mailops benford` in batch mode on data built
# here: a mbox whose subject lengths are known (RFC 2047 and non-Latin
# subjects among them, a missing and an empty subject skipped), its table
# in tsv and json, the text chart (UTF-8 and ASCII), --svg (well-formed,
# one bar per bin), a gzip'd MTA log (a repeated Postfix queue id counted
# once), numbers on standard input, and the exit codes.
. "$(dirname "$0")/../lib.sh"

# Subject lengths: 1 x10, 2 x6, 3 x5, 12 x4, 150 x2; "äöü" (3, RFC 2047);
# a Japanese subject of 5 characters; one without Subject, one empty.
mbox=$TMP/known.mbox
{
	n=0
	msg() { n=$((n + 1)); printf 'From a@example.org Wed Nov 25 10:00:00 2026\nFrom: a@example.org\n%s\n\nbody %d\n\n' "$1" "$n"; }
	for l in $(for i in $(seq 10); do echo 1; done; for i in $(seq 6); do echo 2; done; for i in $(seq 5); do echo 3; done;
		for i in $(seq 4); do echo 12; done; echo 150; echo 150); do
		msg "Subject: $(head -c "$l" /dev/zero | tr '\0' x)"
	done
	msg 'Subject: =?UTF-8?B?w6TDtsO8?='
	msg 'Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?='
	msg 'X-No-Subject: here'
	msg 'Subject: '
} >"$mbox"

run "$MAILOPS" -o tsv benford "$mbox"
expect_eq "tsv_exits_0" 0 "$RC"
expect_eq "tsv_header_names_every_column" $'test\tkind\tbin\tcount\texpected\tap\tep\tdiff\tz\tflagged\tstat\tvalue\tlabel' \
	"$(printf '%s\n' "$OUT" | head -1)"
expect_eq "tsv_f1_counts_of_known_lengths" "1 16,2 6,3 6,4 0,5 1,6 0,7 0,8 0,9 0" \
	"$(printf '%s\n' "$OUT" | awk -F'\t' '$1=="f1" && $2=="bin" {printf "%s%s %s", s, $3, $4; s=","}')"
expect_eq "tsv_f1_n_is_values_used" "29" "$(printf '%s\n' "$OUT" | awk -F'\t' '$1=="f1" && $11=="n" {print $4}')"
expect_eq "tsv_f1_bin1_ap_and_ep" "0.551724 0.30103" \
	"$(printf '%s\n' "$OUT" | awk -F'\t' '$1=="f1" && $3=="1" {print $6, $7}')"
expect_eq "tsv_metric_defaults_to_subject_length" "subject-length" \
	"$(printf '%s\n' "$OUT" | awk -F'\t' '$11=="metric" {print $13}')"
expect_eq "tsv_stat_rows_in_order" "n chi2 df chi2_crit p ks ks_crit mad conformity" \
	"$(printf '%s\n' "$OUT" | awk -F'\t' '$1=="f1" && $2=="stat" {printf "%s%s", s, $11; s=" "}')"
expect_eq "tsv_chi2_crit_df8" "15.5073" "$(printf '%s\n' "$OUT" | awk -F'\t' '$1=="f1" && $11=="chi2_crit" {print $12}')"

run "$MAILOPS" benford -o json "$mbox"
expect_eq "json_bin_counts" "16 6 6 0 1 0 0 0 0" "$(printf '%s\n' "$OUT" | jq -r 'select(.test=="f1" and .kind=="bin") | .count' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "json_counts_are_numbers" "number" "$(printf '%s\n' "$OUT" | jq -r 'select(.test=="f1" and .bin=="2") | .count | type')"
expect_eq "json_skipped_no_subject" "1" "$(printf '%s\n' "$OUT" | jq -r 'select(.stat=="skipped_no_subject") | .count')"
expect_eq "json_skipped_empty_subject" "1" "$(printf '%s\n' "$OUT" | jq -r 'select(.stat=="skipped_empty_subject") | .count')"
expect_eq "json_unused_cells_null" "null null" "$(printf '%s\n' "$OUT" | jq -r 'select(.test=="f1" and .stat=="chi2") | "\(.bin) \(.count)"')"
expect_eq "json_flagged_is_bool" "boolean" "$(printf '%s\n' "$OUT" | jq -r 'select(.test=="f1" and .bin=="1") | .flagged | type')"
chi2=$(printf '%s\n' "$OUT" | jq -r 'select(.test=="f1" and .stat=="chi2") | .value')
# independently: sum (O-E)^2/E over the nine digits, N = 29
want=$(awk 'BEGIN { split("16 6 6 0 1 0 0 0 0", o, " "); for (d = 1; d <= 9; d++) { e = 29 * log(1 + 1 / d) / log(10); c += (o[d] - e) ^ 2 / e }; printf "%.4f", c }')
expect_eq "json_chi2_matches_independent_sum" "$want" "$(printf '%.4f' "$chi2")"
expect_eq "json_conformity_label" "nonconformity" "$(printf '%s\n' "$OUT" | jq -r 'select(.test=="f1" and .stat=="conformity") | .label')"

# --test all: every test, second-order and dup included
run "$MAILOPS" -o json benford --test all "$mbox"
expect_eq "all_tests_listed" "f1 sd f2 f3 l2 summation second-order dup" \
	"$(printf '%s\n' "$OUT" | jq -r 'select(.kind=="bin") | .test' | uniq | tr '\n' ' ' | sed 's/ $//')"
expect_eq "dup_top_value_is_1_ten_times" "1 10" "$(printf '%s\n' "$OUT" | jq -r 'select(.test=="dup" and .kind=="bin") | "\(.bin) \(.count)"' | head -1)"
expect_eq "f3_n_values_over_100" "2" "$(printf '%s\n' "$OUT" | jq -r 'select(.test=="f3" and .stat=="n") | .count')"
expect_eq "summation_total" "348" "$(printf '%s\n' "$OUT" | jq -r 'select(.test=="summation" and .stat=="total") | .value')"

# csv: the same rows, RFC 4180
run "$MAILOPS" -o csv benford "$mbox"
expect_eq "csv_header" "test,kind,bin,count,expected,ap,ep,diff,z,flagged,stat,value,label" "$(printf '%s\n' "$OUT" | head -1 | tr -d '\r')"
expect_eq "csv_f1_bin_2" "f1,bin,2,6,5.10665,0.206897,0.176091,0.0308053,0.191768,false,,," \
	"$(printf '%s\n' "$OUT" | tr -d '\r' | grep '^f1,bin,2,')"

# A Maildir (cur/ and new/) and a .eml file are mailboxes too
mkdir -p "$TMP/Maildir/cur" "$TMP/Maildir/new" "$TMP/Maildir/tmp"
printf 'Subject: four\n\nx\n' >"$TMP/Maildir/cur/1.host:2,S"
printf 'Subject: seven77\n\nx\n' >"$TMP/Maildir/new/2.host"
printf 'Subject: in tmp, never read\n\nx\n' >"$TMP/Maildir/tmp/3.host"
printf 'Subject: =?UTF-8?Q?caf=C3=A9?=\n\nx\n' >"$TMP/one.eml"
run "$MAILOPS" -o tsv benford "$TMP/Maildir" "$TMP/one.eml"
expect_eq "maildir_and_eml_subject_lengths" "4 2,7 1" \
	"$(printf '%s\n' "$OUT" | awk -F'\t' '$1=="f1" && $2=="bin" && $4>0 {printf "%s%s %s", s, $3, $4; s=","}')"

# body-size: octets after the header: "body N\n" is 7 octets for messages
# 1-9, 8 for 10-31, and the last keeps the mbox's final blank line (9)
run "$MAILOPS" -o tsv benford --metric body-size "$mbox"
expect_eq "body_size_f1_bins" "1 0,2 0,3 0,4 0,5 0,6 0,7 9,8 21,9 1" \
	"$(printf '%s\n' "$OUT" | awk -F'\t' '$1=="f1" && $2=="bin" {printf "%s%s %s", s, $3, $4; s=","}')"

# text chart: UTF-8 blocks, or ASCII when the locale is not UTF-8
run "$MAILOPS" benford "$mbox"
expect_match "text_chart_has_blocks" '^   1 +16 .*█' "$OUT"
expect_match "text_has_statistics" 'chi-square [0-9.]+, df 8, 0.05 critical 15.507' "$OUT"
expect_match "text_notes_small_n" 'N = 29 is below 1000' "$OUT"
run env LC_ALL=C LANG=C "$MAILOPS" benford "$mbox"
expect_match "ascii_chart_when_not_utf8" '^   1 +16 .*####' "$OUT"
expect_nomatch "ascii_chart_has_no_blocks" '█' "$OUT"
printf '[benford]\nsmall_n = 10\n' >"$TMP/small.conf"
run "$MAILOPS" -c "$TMP/small.conf" benford "$mbox"
expect_nomatch "small_n_from_config" 'is below' "$OUT"

# SVG: well-formed, one bar per bin, expected curve and bounds
expect_rc "svg_exits_0" 0 "$MAILOPS" benford --svg "$TMP/f1.svg" "$mbox"
if xmllint --noout "$TMP/f1.svg" 2>"$TMP/xml.err"; then ok "svg_is_well_formed"; else not_ok "svg_is_well_formed" "$(cat "$TMP/xml.err")"; fi
expect_eq "svg_one_bar_per_f1_bin" 9 "$(grep -c 'class="bar"' "$TMP/f1.svg")"
expect_match "svg_has_expected_and_bounds" 'class="expected".*' "$(grep -E 'class="(expected|upper|lower)"' "$TMP/f1.svg" | tr '\n' ' ')"
expect_eq "svg_has_three_curves" 3 "$(grep -cE 'polyline class="(expected|upper|lower)"' "$TMP/f1.svg")"
"$MAILOPS" benford --test f2 --svg "$TMP/f2.svg" "$mbox" >/dev/null
expect_eq "svg_one_bar_per_f2_bin" 90 "$(grep -c 'class="bar"' "$TMP/f2.svg")"
# --test all: a panel per test, each well formed in one document.
"$MAILOPS" benford --test all --svg "$TMP/all.svg" "$mbox" >/dev/null
if xmllint --noout "$TMP/all.svg" 2>"$TMP/xml.err"; then ok "svg_all_is_well_formed"; else not_ok "svg_all_is_well_formed" "$(cat "$TMP/xml.err")"; fi
expect_eq "svg_all_has_a_panel_per_test" "$(grep -c 'class="panel"' "$TMP/all.svg")" "$("$MAILOPS" -o tsv benford --test all "$mbox" | awk -F'\t' 'NR > 1 && $2 == "stat" && $11 == "n" && $1 != "mantissa" {print $1}' | sort -u | wc -l)"

# A gzip'd log: sendmail, Postfix (one queue id logged twice), Exim
log=$TMP/maillog
cat >"$log" <<'LOG'
Nov 25 10:00:01 mx1 sendmail[21934]: 4APA01xK021934: from=<alice@example.org>, size=1076, class=0, nrcpts=2, msgid=<1@mx1.example.net>, proto=ESMTP, daemon=MTA, relay=mail.example.org [192.0.2.10]
Nov 25 10:00:02 mx1 sendmail[21935]: 4APA01xK021934: to=<bob@example.net>, delay=00:00:01, mailer=local, pri=31076, dsn=2.0.0, stat=Sent
Nov 25 10:01:07 mx2 postfix/qmgr[1211]: 4F3A21C0A2B: from=<news@lists.example.com>, size=598, nrcpt=3 (queue active)
Nov 25 10:31:07 mx2 postfix/qmgr[1211]: 4F3A21C0A2B: from=<news@lists.example.com>, size=598, nrcpt=3 (queue active)
Nov 25 10:31:08 mx2 postfix/smtp[1400]: 4F3A21C0A2B: to=<x@example.com>, relay=none, delay=1800, status=deferred
2026-11-25 10:02:13 1tFabc-000123-AB <= carol@example.org H=mail.example.org [192.0.2.44] P=esmtps S=2291 id=abc@example.org
LOG
gzip -c "$log" >"$TMP/mail.log.1.gz"
run "$MAILOPS" -o tsv benford "$TMP/mail.log.1.gz"
expect_eq "gz_log_exits_0" 0 "$RC"
expect_eq "gz_log_default_metric_size" "size" "$(printf '%s\n' "$OUT" | awk -F'\t' '$11=="metric" {print $13}')"
expect_eq "gz_log_sizes_first_digits" "1 1,2 1,5 1" \
	"$(printf '%s\n' "$OUT" | awk -F'\t' '$1=="f1" && $2=="bin" && $4>0 {printf "%s%s %s", s, $3, $4; s=","}')"
expect_eq "gz_log_repeated_queue_id_once" "1" "$(printf '%s\n' "$OUT" | awk -F'\t' '$11=="skipped_duplicate_queue_id" {print $4}')"
run "$MAILOPS" -o tsv benford --metric nrcpts "$log"
expect_eq "nrcpts_from_sendmail_and_postfix" "2 1,3 1" \
	"$(printf '%s\n' "$OUT" | awk -F'\t' '$1=="f1" && $2=="bin" && $4>0 {printf "%s%s %s", s, $3, $4; s=","}')"
expect_eq "nrcpts_exim_line_has_no_field" "1" "$(printf '%s\n' "$OUT" | awk -F'\t' '$11=="skipped_no_field" {print $4}')"

# Standard input: one number per line; a non-number is skipped and counted
run bash -c "printf '12\n345\n\nabc\n0.75\n' | '$MAILOPS' -o tsv benford -"
expect_eq "stdin_exits_0" 0 "$RC"
expect_eq "stdin_values" "1 1,3 1,7 1" \
	"$(printf '%s\n' "$OUT" | awk -F'\t' '$1=="f1" && $2=="bin" && $4>0 {printf "%s%s %s", s, $3, $4; s=","}')"
expect_eq "stdin_metric_is_number" "number" "$(printf '%s\n' "$OUT" | awk -F'\t' '$11=="metric" {print $13}')"
expect_eq "stdin_not_a_number_counted" "1" "$(printf '%s\n' "$OUT" | awk -F'\t' '$11=="skipped_not_a_number" {print $4}')"
run bash -c "printf '5\n50\n500\n' | '$MAILOPS' -o tsv benford --min 10 -"
expect_eq "min_drops_small_values" "1" "$(printf '%s\n' "$OUT" | awk -F'\t' '$11=="skipped_below_min" {print $4}')"
# L2 takes values of four digits or more (below, the last two digits are
# the first ones); the distortion factor the values >= 10 (5 left out).
run bash -c "printf '5\n45\n123\n1234\n99999\n' | '$MAILOPS' -o tsv benford --test l2 -"
expect_eq "l2_n_values_from_1000" "2" "$(printf '%s\n' "$OUT" | awk -F'\t' '$1=="l2" && $11=="n" {print $4}')"
expect_eq "l2_bins_of_1234_and_99999" "34 1,99 1" \
	"$(printf '%s\n' "$OUT" | awk -F'\t' '$1=="l2" && $2=="bin" && $4>0 {printf "%s%s %s", s, $3, $4; s=","}')"
expect_eq "distortion_n_values_from_10" "4" "$(printf '%s\n' "$OUT" | awk -F'\t' '$1=="mantissa" && $11=="distortion_n" {print $4}')"
run bash -c "printf '5\n10\n20\n50\n' | '$MAILOPS' -o tsv benford -"
expect_eq "distortion_pct_of_10_20_50" "2.6164" \
	"$(printf '%s\n' "$OUT" | awk -F'\t' '$1=="mantissa" && $11=="distortion_pct" {printf "%.4f", $12}')"
run bash -c "printf '3\n7\n' | '$MAILOPS' benford -"
expect_match "no_distortion_factor_below_10" 'distortion factor: no value >= 10' "$OUT"

# Every test on a mailbox whose one message has no subject: no values, no crash.
printf 'From: a@example.org\n\nhi\n' >"$TMP/nosubj.eml"
expect_rc "all_tests_without_values_exit_0" 0 "$MAILOPS" -o tsv benford --test all "$TMP/nosubj.eml"

# A Maildir with a link back to itself is read once.
mkdir -p "$TMP/loop-md/cur" "$TMP/loop-md/new"
printf 'From: a@example.org\nSubject: twelve chars\n\nhi\n' >"$TMP/loop-md/cur/1"
ln -s . "$TMP/loop-md/.again"
run timeout 20 "$MAILOPS" -o tsv benford "$TMP/loop-md"
expect_eq "maildir_link_loop_read_once" "0 1" "$RC $(printf '%s\n' "$OUT" | awk -F'\t' '$11=="values" {print $4}')"

# Exit codes
run bash -c "printf 'abc\nxyz\n' | '$MAILOPS' benford -"
expect_eq "stdin_nothing_usable_exits_65" 65 "$RC"
expect_match "stdin_nothing_usable_says_why" 'no number' "$ERR"
expect_rc "missing_source_exits_66" 66 "$MAILOPS" benford "$TMP/nope.mbox"
expect_match "missing_source_named" 'nope.mbox' "$ERR"
printf 'hello\nworld\n' >"$TMP/notalog"
expect_rc "log_without_arrival_lines_exits_65" 65 "$MAILOPS" benford "$TMP/notalog"
head -c 100 "$TMP/mail.log.1.gz" >"$TMP/cut.gz"
expect_rc "corrupt_gz_exits_65" 65 "$MAILOPS" benford "$TMP/cut.gz"
expect_nomatch "corrupt_gz_error_names_the_file_not_an_fd" '<fd:' "$ERR"
# The size comes from the size= field, not from text inside the sender.
printf 'Dec  3 13:40:01 mx postfix/qmgr[1]: 4F3A21C0A2B: from=<"x,size=7"@evil.example>, size=51200, nrcpt=1 (queue active)\n' >"$TMP/inj.log"
printf 'Dec  3 13:40:01 mx sm-mta[1]: wB3De1x1021934: from=<"x size=7"@evil.example>, size=61200, nrcpts=1\n' >>"$TMP/inj.log"
printf 'Dec  3 13:40:02 mx postfix/qmgr[1]: 5F3A21C0A2B: from=<a@example.org>, size=12.5, nrcpt=1 (queue active)\n' >>"$TMP/inj.log"
run "$MAILOPS" -o tsv benford --test dup "$TMP/inj.log"
expect_eq "size_field_not_read_inside_the_sender" "51200 1,61200 1" \
	"$(printf '%s\n' "$OUT" | awk -F'\t' '$1=="dup" && $2=="bin" {printf "%s%s %s", s, $3, $4; s=","}')"
expect_eq "size_with_a_fraction_is_no_field" "1" "$(printf '%s\n' "$OUT" | awk -F'\t' '$11=="skipped_no_field" {print $4}')"
# A line of 1.2 MB made of the Postfix tag: read in linear time.
python3 -c "print('/qmgr[' * 200000)" >"$TMP/qmgr.log"
run timeout 20 "$MAILOPS" benford "$TMP/qmgr.log"
expect_eq "long_tag_line_is_no_log_exits_65" 65 "$RC"
# A gzip bomb of zeros: one endless line, kept to 1 MB, not held whole.
head -c 300000000 /dev/zero | gzip -1 >"$TMP/bomb.gz"
/usr/bin/time -o "$TMP/bomb.rss" -f %M "$MAILOPS" benford "$TMP/bomb.gz" >/dev/null 2>&1
rss=$(tail -1 "$TMP/bomb.rss")
if [ "$rss" -lt $((100 << 10)) ]; then ok "gzip_bomb_under_100_MB_resident"; else not_ok "gzip_bomb_under_100_MB_resident" "max RSS $((rss >> 10)) MB"; fi
rm -f "$TMP/bomb.gz"
expect_rc "unknown_metric_exits_64" 64 "$MAILOPS" benford --metric lines "$mbox"
expect_rc "unknown_test_exits_64" 64 "$MAILOPS" benford --test f9 "$mbox"

done_testing
