#!/usr/bin/env bash
# The ARF tab in tmux: with no [arf] mailboxes it says how to set them;
# with the corpus it lists the reports (read in a child, the list filling
# as rows arrive), Enter opens a report in full, '/' and 't' filter, 'g'
# opens the counts by field, and quitting restores the terminal.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../console.sh"

DATA=$ROOT/tests/data/arf
CORPUS=$DATA/corpus
[ -f "$CORPUS/all.mbox" ] || CORPUS=$ROOT/../shared/corpus/arf
if [ ! -f "$CORPUS/all.mbox" ]; then
	not_ok "corpus_present" "the ARF corpus is missing: neither $DATA/corpus nor $ROOT/../shared/corpus/arf holds all.mbox"
	done_testing
	exit 1
fi
# the tab number: ARF's place in the tab bar
TAB=$("$MAILOPS" --help | awk '/^  [a-z]+ +[A-Za-z]/{n++; if ($1=="arf") print n}')

# No mailboxes configured: the tab says how to set them.
: >"$TMP/empty.conf"
console_start 120 30
console_run -c "$TMP/empty.conf"
keys "$TAB"
expect_screen "no_mailboxes_says_how" 'mailboxes = ' 5
keys q
expect_screen "quits_from_empty_tab" '^EXIT=0$' 5
console_stop

printf '[arf]\nmailboxes = %s, %s\n' "$CORPUS/all.mbox" "$DATA/two-reports.eml" >"$TMP/c.conf"
console_start 200 50
console_run -c "$TMP/c.conf"
keys "$TAB"
expect_screen "header_counts_reports" '44 reports, 0 errors in 44 messages' 10
expect_screen "aol_row" ' 1 +2008-07-17T05:26:44Z +scomp@aol\.net +AOL +abuse +arf +203\.190\.229\.246' 3
expect_screen "jmrp_row" 'staff@hotmail\.com +Microsoft.* +abuse +jmrp +192\.0\.2\.222' 3

# Enter: the report in full, in the pager.
keys Enter
expect_screen "detail_fields" 'Feedback-Type: +abuse' 3
expect_screen "detail_raw_heading" '== Raw source ==|== Report 1 of 1' 3
keys /
keys_literal "Raw source"
keys Enter
expect_screen "detail_has_raw_source" '== Raw source ==' 3
keys q

# '/' filter: the text of rows.
keys /
keys_literal hotmail
keys Enter
expect_screen "filter_shows_jmrp" 'staff@hotmail\.com' 3
expect_no_screen "filter_hides_aol" 'scomp@aol\.net'
keys / C-u Enter
expect_screen "filter_cleared" 'scomp@aol\.net' 3

# 't': one feedback type at a time.
keys t
expect_screen "t_filters_first_type" 'type: abuse' 3
expect_no_screen "t_hides_auth_failure" ' auth-failure +arf '
keys t
expect_screen "t_next_type" 'type: (opt-out|auth-failure|fraud) ' 3
expect_no_screen "t_hides_abuse" ' abuse +arf '
# four types in all (abuse, opt-out, auth-failure, fraud): three more to all
keys t t t
expect_screen "t_cycles_back_to_all" 'type: all' 3

# 'c': counts by type, then 'b' for the next grouping.
keys c
expect_screen "c_summary_by_type" 'type +abuse +29 ' 3
keys b
expect_screen "c_b_next_grouping" 'source-ip +192\.0\.2\.1 ' 3
keys b b b b b
expect_screen "c_b_auth_failure" 'auth-failure +dmarc +[0-9]+ ' 3
keys q
expect_screen "back_to_list" 'scomp@aol\.net' 3

# i: source IP or CIDR; d: domain; p: reporter or provider; D: dates; x clears.
keys i
expect_screen "i_asks" 'Source IP or CIDR' 3
keys_literal "203.190.229.0/24"
keys Enter
expect_screen "i_cidr_header" 'ip: 203\.190\.229\.0/24' 3
expect_screen "i_cidr_keeps_inside" '203\.190\.229\.246' 3
expect_no_screen "i_cidr_hides_outside" '203\.190\.228\.30 '
keys x
expect_screen "x_clears" 'scomp@aol\.net .*203\.190\.228\.30 ' 3
keys d
keys_literal "interpublication.org"
keys Enter
expect_screen "d_domain" '^ +42 .*148\.163\.85\.135' 3
expect_no_screen "d_hides_others" 'scomp@aol\.net'
keys x p
keys_literal "yahoo"
keys Enter
expect_screen "p_reporter" '^ +20 .*feedback@arf\.mail\.yahoo.* Yahoo ' 3
expect_no_screen "p_hides_others" 'scomp@aol\.net'
keys x D
keys_literal "2008-07-15..2008-07-17"
keys Enter
expect_screen "D_dates_header" 'dates: 2008-07-15\.\.2008-07-17' 3
expect_screen "D_keeps_inside" '2008-07-17T05:26:44Z' 3
expect_no_screen "D_hides_outside" '2008-07-23T04:53:50Z|2005-03-08'
keys x
expect_screen "x_clears_dates" '2005-03-08' 3

keys q
expect_screen "quits" '^EXIT=0$' 5
expect_screen "terminal_restored" '^icanon echo ?$' 3
console_stop

# A big mailbox (the corpus 400 times, about 85 MB, all reports): the tab
# reads it in a child, says so and fills while the keys still answer.
for _ in $(seq 1 400); do cat "$CORPUS/all.mbox"; done >"$TMP/big.mbox"
printf '[arf]\nmailboxes = %s\n' "$TMP/big.mbox" >"$TMP/big.conf"
console_start 200 50
console_run -c "$TMP/big.conf"
keys "$TAB"
expect_screen "big_shows_reading" '^reading\.\.\. [0-9]+ reports' 10
keys '?'
expect_screen "big_keys_answer_while_reading" 'Keys of the console' 3
keys q
expect_screen "big_fills_to_the_end" '^16800 reports, 0 errors in 17200 messages' 120
keys q
expect_screen "big_quits" '^EXIT=0$' 5
done_testing
