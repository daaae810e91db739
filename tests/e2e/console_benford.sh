#!/usr/bin/env bash
# The Benford tab in tmux: with no [benford] sources it says how to set
# them; with sources it reads the first (in a child process) and draws the
# F1 histogram (ui/chart.c: bars, expected markers, axis, labels) with the
# statistics beside it; Left/Right select a bar and show its line; m cycles
# the metric, t the test, c the source, ] pages F2 by decade, o reads a
# typed path; Enter on a bar lists the bin's messages and Enter opens one;
# on a small screen the same bins are list rows with a bar cell.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../console.sh"

# Subject lengths 1 x6 (subject "s"), 23 x3, 5 x1 (Japanese, RFC 2047)
mbox=$TMP/b.mbox
{
	n=0
	msg() { n=$((n + 1)); printf 'From a@example.org Wed Nov 25 10:00:00 2026\nFrom: a@example.org\nSubject: %s\n\nbody %d\n\n' "$1" "$n"; }
	for _ in 1 2 3 4 5 6; do msg s; done
	for _ in 1 2 3; do msg 'twenty-three characters'; done
	msg '=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?='
} >"$mbox"
cat >"$TMP/mail.log" <<'LOG'
Nov 25 10:01:07 mx2 postfix/qmgr[1211]: 4F3A21C0A2B: from=<news@lists.example.com>, size=598, nrcpt=3 (queue active)
Nov 25 10:01:08 mx2 postfix/qmgr[1211]: 4F3A21C0A2C: from=<news@lists.example.com>, size=7123, nrcpt=3 (queue active)
LOG

printf '[aliases]\ndb = %s/none.db\n' "$TMP" >"$TMP/empty.conf"
console_start 120 40
console_run -c "$TMP/empty.conf"
keys 6
expect_screen "no_sources_says_how_to_set_them" 'No source: set \[benford\] sources in mailops.conf.*press o'
keys o
expect_screen "o_asks_for_a_source" '^Source:' 3
keys_literal "$mbox"
keys Enter
expect_screen "typed_source_is_read" 'b\.mbox +subject-length +first digit \(F1\) +N 10' 5
# A source that is slow to arrive (a FIFO fed from here): the tab says it
# is reading and counts values as they come, the keys still answer, and
# the histogram appears when the source ends.
mkfifo "$TMP/live.log"
exec 7<>"$TMP/live.log"
keys o
keys_literal "$TMP/live.log"
keys Enter
expect_screen "slow_source_reading_in_header" 'live\.log +size +first digit \(F1\) +reading\.\.\. 0 values' 5
keys '?'
expect_screen "keys_answer_while_reading" 'go to tab N' 3
keys q
printf '%s\n' 'Nov 25 10:01:07 mx2 postfix/qmgr[1211]: 4F3A21C0A2B: from=<a@example.com>, size=598, nrcpt=3 (queue active)' >&7
expect_screen "progress_counts_values_as_they_come" 'reading\.\.\. 1 values' 5
expect_screen "progress_in_status_line" 'benford: reading .*live\.log, 1 values' 3
exec 7>&-
expect_screen "histogram_when_the_source_ends" 'live\.log +size +first digit \(F1\) +N 1 ' 5
keys q
console_stop

printf '[aliases]\ndb = %s/none.db\n[benford]\nsources = %s, %s\n' "$TMP" "$mbox" "$TMP/mail.log" >"$TMP/b.conf"
console_start 120 40
console_run -c "$TMP/b.conf"
keys 6
expect_screen "header_names_source_metric_test" 'b\.mbox +subject-length +first digit \(F1\) +N 10 +chi2' 5
expect_screen "chart_labels_under_bars" '^ +1 +2 +3 +4 +5 +6 +7 +8 +9 *$'
expect_screen "chart_axis_and_bars" '│█+'
expect_screen "chart_expected_markers" '━━'
expect_screen "selected_bar_info_line" '^bin 1: 6 of 10, AP 0\.6000, EP 0\.3010, expected 3\.0, z 1\.72 *$'
expect_screen "statistics_beside_the_chart" '│.* chi-square [0-9.]+, df 8, crit 15\.507'
expect_screen "mad_conformity_in_panel" 'MAD [0-9.]+: nonconformity'
expect_screen "small_n_note" 'note: N below 1000'
keys Right Right Right Right
expect_screen "right_selects_bin_5_japanese_subject" '^bin 5: 1 of 10, AP 0\.1000, EP 0\.0792'
keys Left
expect_screen "left_selects_bin_4_empty" '^bin 4: 0 of 10, AP 0\.0000'
keys g
# Enter on bin 2 (23-character subjects): the three messages; Enter opens one
keys j Enter
expect_screen "drill_down_lists_bin_messages" 'f1 bin 2: 3 messages' 3
expect_screen "drill_rows_value_and_source" '^ +23 +[0-9]+ .*b\.mbox'
keys Enter
expect_screen "enter_opens_the_message" 'Subject: twenty-three characters' 3
expect_screen "pager_title_names_source_and_offset" 'b\.mbox at offset [0-9]+' 3
keys q
expect_screen "q_back_to_the_list" 'f1 bin 2: 3 messages' 3
keys q
expect_screen "q_back_to_the_histogram" 'first digit \(F1\) +N 10' 3
# t: the next test
keys t
expect_screen "t_cycles_to_second_digit" 'second digit \(SD\) +N 3' 3
keys t
expect_screen "t_then_first_two_digits_paged" 'first two digits \(F2\) +page 1/9' 3
expect_screen "f2_chart_labels_first_decade" '^ +10 +11 +12 +13 +14 +15 +16 +17 +18 +19 *$' 3
keys ']'
expect_screen "bracket_turns_the_decade" '^ +20 +21 +22 +23 +24 +25 +26 +27 +28 +29 *$' 3
keys Right Right Right
expect_screen "decade_bar_23_has_the_three" '^bin 23: 3 of 3, AP 1\.0000' 3
# F3, L2, summation, second-order (no drill-down: its bins are
# differences), dup, and back to F1
keys t t t t
expect_screen "t_reaches_second_order" 'second-order \(F2 of the sorted differences\)' 3
keys Enter
expect_screen "second_order_enter_explains" 'hold differences between values, not messages' 3
keys t
expect_screen "t_reaches_number_duplication" 'number duplication +N 10' 3
keys t
expect_screen "t_cycles_back_to_first_digit" 'first digit \(F1\) +N 10' 3
# m: the next metric reads again
keys m
expect_screen "m_cycles_to_body_size" 'b\.mbox +body-size ' 5
# c: the next configured source, a log (its default metric: size)
keys c
expect_screen "c_cycles_to_the_log" 'mail\.log +size +first digit \(F1\) +N 2' 5
keys g Right Right Right Right
expect_screen "log_bin_5_selected" '^bin 5: 1 of 2' 3
keys Enter
expect_screen "log_drill_down_lists_lines" 'f1 bin 5: 1 log lines' 3
keys Enter
expect_screen "enter_opens_the_log_line" 'postfix/qmgr\[1211\]: 4F3A21C0A2B' 3
expect_screen "pager_title_names_log_line" 'mail\.log line 1' 3
keys q q q
expect_screen "q_quits" 'EXIT=0' 5
console_stop

# A small screen: the same bins as list rows with bar cells
console_start 80 11
console_run -c "$TMP/b.conf"
keys 6
expect_screen "small_screen_lists_bins" '^1 +6 +3\.0 +0\.6000 +0\.3010 +[0-9.]+ +█+' 5
expect_screen "small_screen_expected_marker" '^4 +0 +1\.0 +0\.0000 +0\.0969 +[0-9.]+ +\|'
keys j Enter
expect_screen "small_screen_drill_down" 'f1 bin 2: 3 messages' 3
keys q q

done_testing
