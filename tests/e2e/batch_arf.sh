#!/usr/bin/env bash
# arf: list/summary/complainers/show over the ARF corpus (43 messages as an
# mbox and as a Maildir of the original files), field by field against
# Stalwart's expected results and against Sisimai; hand-written cases
# (lower-case fields, 8-bit headers, two reports in a message, >From
# quoting, escape sequences), corrupt inputs, exit codes, -o arfparse.
. "$(dirname "$0")/../lib.sh"

DATA=$ROOT/tests/data/arf
# The corpus: the copies in tests/data/arf/corpus first, else ../shared.
CORPUS=$DATA/corpus
[ -f "$CORPUS/all.mbox" ] || CORPUS=$ROOT/../shared/corpus/arf
if [ ! -f "$CORPUS/all.mbox" ]; then
	not_ok "corpus_present" "the ARF corpus is missing: neither $DATA/corpus nor $ROOT/../shared/corpus/arf holds all.mbox"
	done_testing
	exit 1
fi
ok "corpus_present"
MBOX=$CORPUS/all.mbox
names=$(cd "$CORPUS" && LC_ALL=C ls -- *.eml *.msg)

# ---- the corpus as an mbox ----
run "$MAILOPS" -o tsv arf list --all "$MBOX"
expect_eq "list_exits_0" 0 "$RC"
LIST=$OUT
expect_eq "list_one_row_per_message_43" 43 "$(printf '%s\n' "$LIST" | awk -F'\t' 'NR>1{print $1}' | sort -u | wc -l)"
expect_eq "list_n_runs_1_to_43" "$(seq 1 43 | tr '\n' ' ')" "$(printf '%s\n' "$LIST" | awk -F'\t' 'NR>1{printf "%s ", $1}')"
count() { printf '%s\n' "$LIST" | awk -F'\t' -v v="$1" -v t="${2:-}" 'NR>1 && $6==v && (t=="" || $5==t)' | wc -l; }
expect_eq "arf_abuse_24" 24 "$(count arf abuse)"
expect_eq "arf_auth_failure_10" 10 "$(count arf auth-failure)"
expect_eq "arf_opt_out_2" 2 "$(count arf opt-out)"
expect_eq "jmrp_legacy_3" 3 "$(count jmrp abuse)"
expect_eq "ses_json_1" 1 "$(count ses-json abuse)"
expect_eq "exim_text_1" 1 "$(count exim-text auth-failure)"
expect_eq "apple_unsubscribe_1" 1 "$(count apple-unsubscribe opt-out)"
expect_eq "one_message_not_a_report" "10" "$(printf '%s\n' "$LIST" | awk -F'\t' 'NR>1 && $6=="none"{print $1}')"
expect_eq "no_error_rows_on_corpus" 0 "$(count error)"
# Without --all the non-report is not listed.
run "$MAILOPS" -o tsv arf list "$MBOX"
expect_eq "list_without_all_42_rows" 42 "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)"
expect_eq "list_tsv_header" "n	date	reporter	provider	type	variant	source_ip	original_mail_from	recipient	recipients	reported_domain	subject	error" "$(printf '%s\n' "$OUT" | head -1)"

# Fields of particular messages (n as in SOURCES.md: file-name order).
row() { printf '%s\n' "$LIST" | awk -F'\t' -v n="$1" 'NR>1 && $1==n'; }
col() { row "$1" | cut -f"$2"; }
n_of() { printf '%s\n' "$names" | grep -nx -- "$1" | cut -d: -f1; }
expect_eq "aol_provider" "AOL" "$(col 1 4)"
expect_eq "aol_received_date_stands_in_utc" "2008-07-17T05:26:44Z" "$(col 1 2)"
n16=$(n_of sisimai-arf-16.eml)
expect_eq "multi_rcpt_count_7" 7 "$(col "$n16" 10)"
expect_eq "source_ip_comment_stripped" "148.163.85.135" "$(col "$(n_of stalwart-004.eml)" 7)"
expect_eq "jmrp_source_from_subject" "192.0.2.222" "$(col "$(n_of sisimai-arf-22.eml)" 7)"
expect_eq "jmrp_recipient" "kijitora@example.com" "$(col "$(n_of sisimai-arf-22.eml)" 9)"
expect_eq "ses_recipient" "complaint@simulator.amazonses.com" "$(col "$(n_of sisimai-lhost-amazonses-11.eml)" 9)"
expect_eq "ses_provider" "Amazon SES" "$(col "$(n_of sisimai-lhost-amazonses-11.eml)" 4)"
expect_eq "exim_source_ip" "203.0.113.68" "$(col "$(n_of parsedmarc-exim_plain_text_only_no_arf_part.eml)" 7)"
expect_eq "netease_base64_report_decoded" "auth-failure" "$(col "$(n_of parsedmarc-_Netease_DMARC_Failure_Report_Rent_Reminder.eml)" 5)"
expect_eq "iso2022jp_subject_decoded" "【もらって嬉しい夏ケアセット3本入】今だけ無料プレゼント" "$(col 3 12)"
expect_eq "crlf_same_as_lf" "$(col "$(n_of sisimai-arf-01.eml)" 2-12)" "$(col "$(n_of sisimai-dos-arf-01.eml)" 2-12)"
expect_eq "cr_only_same_as_lf" "$(col "$(n_of sisimai-arf-01.eml)" 2-12)" "$(col "$(n_of sisimai-mac-arf-01.eml)" 2-12)"
expect_eq "linkedin_crlf_same" "$(col "$(n_of parsedmarc-dmarc_ruf_report_linkedin.eml)" 2-12)" "$(col "$(n_of parsedmarc-dmarc_ruf_report_linkedin.crlf.eml)" 2-12)"

# ---- the same from a Maildir of the 43 files ----
MD=$TMP/Maildir
mkdir -p "$MD/cur" "$MD/new" "$MD/tmp"
i=0
while read -r f; do
	i=$((i + 1))
	cp "$CORPUS/$f" "$MD/cur/$(printf '%04d' "$i").$f:2,S"
done <<<"$names"
run "$MAILOPS" -o tsv arf list --all "$MD"
expect_eq "maildir_exits_0" 0 "$RC"
expect_eq "maildir_same_rows_as_mbox" "$(printf '%s\n' "$LIST" | cut -f1-12)" "$(printf '%s\n' "$OUT" | cut -f1-12)"

# ---- formats ----
run "$MAILOPS" -o json arf list "$MBOX"
expect_eq "json_42_objects" 42 "$(printf '%s\n' "$OUT" | jq -c . | wc -l)"
expect_eq "json_recipients_is_number" "number" "$(printf '%s\n' "$OUT" | head -1 | jq -r '.recipients|type')"
expect_eq "json_n_is_number" "number" "$(printf '%s\n' "$OUT" | head -1 | jq -r '.n|type')"
run "$MAILOPS" -o csv arf list "$MBOX"
expect_match "csv_header" "^n,date,reporter," "$OUT"
run "$MAILOPS" arf list "$MBOX"
expect_match "text_header" "^ *N +DATE +REPORTER" "$OUT"
run "$MAILOPS" -o tsv arf list --per-recipient "$MBOX"
expect_eq "per_recipient_7_rows_for_arf16" 7 "$(printf '%s\n' "$OUT" | awk -F'\t' -v n="$n16" '$1==n' | wc -l)"
expect_eq "per_recipient_distinct" 7 "$(printf '%s\n' "$OUT" | awk -F'\t' -v n="$n16" '$1==n{print $9}' | sort -u | wc -l)"

# arfparse blocks
run "$MAILOPS" -o arfparse arf list "$MBOX"
expect_eq "arfparse_exits_0" 0 "$RC"
expect_eq "arfparse_one_block_per_report" 42 "$(printf '%s\n' "$OUT" | grep -c '^X-Idx: ')"
block1=$(printf '%s\n' "$OUT" | awk 'BEGIN{RS=""} NR==1')
expect_eq "arfparse_block_1" "X-Idx: 1
X-Subject: Email Feedback Report for IP 203.190.229.246
Feedback-Type: abuse
User-Agent: AOL SComp
Version: 0.1
Received-Date: Thu, 17 Jul 2008 01:26:44 -0400
Source-IP: 203.190.229.246
Subject: English OK! Mail Magazine - July 17th" "$block1"
expect_match "arfparse_folded_subject_complete" $'^Subject: CVP Connections Newsletter: NetTokyo 2008 this Saturday &  Other\n[ \t]+Updates' "$(printf '%s\n' "$OUT" | awk 'BEGIN{RS=""} NR==2')"
expect_rc "arfparse_only_for_list" 64 "$MAILOPS" -o arfparse arf summary "$MBOX"
expect_rc "arfparse_not_for_other_plugins" 64 "$MAILOPS" -o arfparse config
expect_rc "unknown_format_still_64" 64 "$MAILOPS" -o arfparsex arf list "$MBOX"

# ---- summary ----
run "$MAILOPS" -o tsv arf summary --by type "$MBOX"
expect_eq "summary_type_abuse_28" "28" "$(printf '%s\n' "$OUT" | awk -F'\t' '$2=="abuse"{print $3}')"
expect_eq "summary_sorted_by_count" "abuse" "$(printf '%s\n' "$OUT" | sed -n 2p | cut -f2)"
run "$MAILOPS" -o tsv arf summary --by net "$MBOX"
expect_eq "summary_net_24" "5" "$(printf '%s\n' "$OUT" | awk -F'\t' '$2=="203.190.229.0/24"{print $3}')"
run "$MAILOPS" -o tsv arf summary --by auth-failure "$MBOX"
expect_match "summary_auth_failure_dmarc" $'\ndmarc|auth-failure\tdmarc\t' "$OUT"
run "$MAILOPS" -o tsv arf summary --by day "$MBOX"
expect_match "summary_day_key" $'\tday\t|^by\tvalue' "$OUT"
expect_match "summary_day_value" $'day\t2008-07-17\t2\t' "$OUT"
for by in source-ip reporter domain; do
	run "$MAILOPS" -o tsv arf summary --by "$by" "$MBOX"
	expect_eq "summary_${by}_total_matches_reports" "$([ "$by" = domain ] && echo 43 || echo 42)" \
		"$(printf '%s\n' "$OUT" | awk -F'\t' 'NR>1{s+=$3} END{print s}')"
done
expect_rc "summary_bad_by_64" 64 "$MAILOPS" arf summary --by colour "$MBOX"

# ---- complainers ----
run "$MAILOPS" -o tsv arf complainers "$MBOX"
expect_eq "complainers_exit_0" 0 "$RC"
expect_nomatch "complainers_no_redacted" "redacted|hashed@" "$OUT"
expect_match "complainers_multi_rcpt" $'\nsabineko@example.com\t1\t' "$OUT"
expect_eq "complainers_unique" "$(printf '%s\n' "$OUT" | cut -f1 | sort | uniq -d)" ""
expect_match "complainers_warns_redacted" "redacted or hashed" "$ERR"
run "$MAILOPS" -o tsv arf complainers "$DATA/nul.mbox"
expect_nomatch "complainers_skip_not_spam" "notspam@" "$OUT"

# ---- show ----
n2=$(n_of stalwart-002.eml)
run "$MAILOPS" arf show "$n2" "$MBOX"
expect_eq "show_exits_0" 0 "$RC"
expect_match "show_fields" "Reported-Uri: +mailto:user@example.com" "$OUT"
expect_match "show_human_part" "== Human-readable part ==" "$OUT"
expect_match "show_original_headers" "== Original headers ==" "$OUT"
expect_match "show_raw_source" "== Raw source ==" "$OUT"
expect_eq "show_starts_with_its_first_heading" "== Message ==" "$(printf '%s\n' "$OUT" | head -1)"
expect_eq "show_blank_line_before_each_later_heading" "" "$(printf '%s\n' "$OUT" | grep -B1 '^== Fields ==$' | head -1)"
expect_nomatch "show_no_escaped_newline" '\\x0a' "$OUT"
run "$MAILOPS" arf show "$(n_of sisimai-arf-01.eml)" "$MBOX"
expect_match "show_received_date_says_so" "from Received-Date" "$OUT"
expect_match "show_unknown_field_marked" "Redacted-Address: +redacted +\[unknown field\]" "$OUT"
expect_rc "show_beyond_end_exits_1" 1 "$MAILOPS" arf show 99 "$MBOX"
expect_rc "show_bad_n_exits_64" 64 "$MAILOPS" arf show x "$MBOX"

# ---- Stalwart's expected results, field by field ----
ours_json() { # file -> object in Stalwart's shape
	"$MAILOPS" -o json arf show 1 "$1" | jq -s '
		def f($n): [.[] | select(.section=="field" or .section=="malformed_field" or .section=="unknown_field")
			| select((.name|ascii_downcase)==($n|ascii_downcase)) | .value];
		def one($n): (f($n) | if length==0 then null else .[0] end);
		def rep($n): ([.[] | select(.section=="report" and .name==$n) | .value] | if length==0 then null else .[0] end);
		{ feedback_type: rep("type"),
		  arrival_date: ([.[] | select(.section=="report" and .name=="arrival") | .value[0:20]] | if length==0 then null else .[0] end),
		  authentication_results: [f("Authentication-Results")[] | gsub("\\s+";" ")],
		  original_envelope_id: one("Original-Envelope-Id"),
		  original_mail_from: one("Original-Mail-From"),
		  original_rcpt_to: one("Original-Rcpt-To"),
		  reported_domain: f("Reported-Domain"),
		  reported_uri: f("Reported-URI"),
		  reporting_mta: (one("Reporting-MTA") | if . == null then null else sub("^dns; *";"") end),
		  source_ip: rep("source_ip"),
		  user_agent: one("User-Agent"),
		  version: (one("Version") | if . == null then null else tonumber end),
		  auth_failure: (one("Auth-Failure") | if . == null then null else ascii_downcase end),
		  dkim_domain: one("DKIM-Domain"), dkim_identity: one("DKIM-Identity"), dkim_selector: one("DKIM-Selector"),
		  dkim_canonicalized_body: one("DKIM-Canonicalized-Body"), spf_dns: one("SPF-DNS") }'
}
theirs_json() {
	jq '{ feedback_type: (.feedback_type | if .=="AuthFailure" then "auth-failure" else ascii_downcase end),
	      arrival_date: (.arrival_date | if . == null then null else todate end),
	      authentication_results: [.authentication_results[] | gsub("\\s+";" ")],
	      original_envelope_id, original_mail_from, original_rcpt_to,
	      reported_domain, reported_uri, reporting_mta, source_ip, user_agent, version,
	      auth_failure: (.auth_failure | if .=="Unspecified" then null else ascii_downcase end),
	      dkim_domain, dkim_identity, dkim_selector,
	      dkim_canonicalized_body: (.dkim_canonicalized_body | if . == null then null else gsub("\\s+";"") end),
	      spf_dns }' "$1"
}
for exp in "$CORPUS"/stalwart-*.expected.json; do
	eml=${exp%.expected.json}.eml
	b=$(basename "$eml" .eml)
	o=$(ours_json "$eml" | jq '.dkim_canonicalized_body |= (if . == null then null else gsub("\\s+";"") end)')
	t=$(theirs_json "$exp")
	if [ -n "$o" ] && [ "$(jq -S . <<<"$o")" = "$(jq -S . <<<"$t")" ]; then
		ok "stalwart_fields_$b"
	else
		not_ok "stalwart_fields_$b" "$(diff <(jq -S . <<<"$t") <(jq -S . <<<"$o"))"
	fi
done

# ---- Sisimai: type, source IP, sender, recipients, subject, Message-ID ----
if ! perl -MSisimai -e 1 2>/dev/null; then
	not_ok "sisimai_installed" "perl's Sisimai is missing: make deps (libsisimai-perl)"
else
	ok "sisimai_installed"
	agree=0
	checked=0
	known=0
	PLACEHOLDER=undisclosed-recipient-in-headers@libsisimai.org.invalid
	while read -r f; do
		sis=$(perl -MSisimai -e 'print Sisimai->dump(shift)' "$CORPUS/$f" 2>/dev/null)
		[ "$(jq -r '[.[]|select(.reason=="feedback")]|length' <<<"$sis" 2>/dev/null)" -gt 0 ] 2>/dev/null || continue
		checked=$((checked + 1))
		s=$(jq -c --arg ph "$PLACEHOLDER" '[.[]|select(.reason=="feedback")] |
			{ type: .[0].feedbacktype, ip: .[0].rhost, sender: (.[0].addresser|ascii_downcase),
			  rcpts: ([.[].recipient|ascii_downcase|select(. != $ph)]|unique),
			  subject: (.[0].subject|gsub("\\s+";" ")), msgid: .[0].messageid }' <<<"$sis")
		m=$("$MAILOPS" -o json arf show 1 "$CORPUS/$f" | jq -s -c '
			. as $all |
			def rep($n): [$all[]|select(.report==1 and .section=="report" and .name==$n)|.value];
			def org($n): ([$all[]|select(.report==1 and .section=="original" and .name==$n)|.value] | .[0] // "");
			def addr: (capture("<(?<a>[^>]*)>").a // .) | gsub("^\\s+|\\s+$";"");
			(rep("original_mail_from")[0] // org("from_address")) as $snd |
			(rep("recipient") | map(ascii_downcase)) as $r |
			{ type: rep("type")[0], ip: (rep("source_ip")[0] // ""), sender: ($snd|ascii_downcase),
			  rcpts: (if ($r|length)==0 then [org("to")|addr|ascii_downcase] else $r end | unique),
			  subject: (org("subject")|gsub("\\s+";" ")), msgid: (org("message_id")|gsub("[<>\\s]";"")) }')
		# Sisimai drops what it does not find; compare where it found something.
		s2=$(jq -c --argjson m "$m" '.msgid |= gsub("[<>\\s]";"") | if (.rcpts|length)==0 then .rcpts=$m.rcpts else . end | if .ip=="" then .ip=$m.ip else . end | if .msgid=="" then .msgid=$m.msgid else . end | if .subject=="" then .subject=$m.subject else . end' <<<"$s")
		# Known differences, each for a reason of the standards:
		drop='.'
		case $f in
		aol-SampleARFReport6.eml | aol-SampleARFReport9.eml)
			# the reported message is a bounce: Sisimai reads the message
			# inside the bounce, we report the bounce that was sent
			drop='del(.msgid, .subject, .rcpts)' known=$((known + 1)) ;;
		stalwart-002.eml)
			# an empty line inside the original's header ends the header
			# (RFC 5322); Sisimai reads on past it
			drop='del(.msgid, .subject)' known=$((known + 1)) ;;
		parsedmarc-DMARC_Failure*)
			# the original's Message-ID is folded after the "@": Sisimai
			# keeps the first line only
			drop='del(.msgid)' known=$((known + 1)) ;;
		esac
		if [ "$(jq -S "$drop" <<<"$s2")" = "$(jq -S "$drop" <<<"$m")" ]; then
			agree=$((agree + 1))
		else
			echo "# sisimai differs on $f:"
			diff <(jq -S . <<<"$s2") <(jq -S . <<<"$m") | sed 's/^/#   /'
		fi
	done <<<"$names"
	expect_eq "sisimai_known_differences_4" 4 "$known"
	expect_eq "sisimai_handles_most" 1 "$([ "$checked" -ge 38 ] && echo 1 || echo 0)"
	expect_eq "sisimai_agrees_on_all_it_handles ($agree of $checked)" "$checked" "$agree"
fi

# ---- hand-written cases ----
run "$MAILOPS" -o tsv arf list "$DATA/lowercase.eml"
expect_eq "lowercase_fields_parsed" "abuse	arf	192.0.2.77" "$(printf '%s\n' "$OUT" | sed -n 2p | cut -f5-7)"
expect_eq "lowercase_pst_to_utc" "2021-10-05T12:36:52Z" "$(printf '%s\n' "$OUT" | sed -n 2p | cut -f2)"
run "$MAILOPS" -o json arf show 1 "$DATA/lowercase.eml"
expect_eq "repeated_source_ip_kept_and_flagged" 2 "$(printf '%s\n' "$OUT" | jq -s '[.[]|select(.section=="malformed_field" and .name=="source-ip")]|length')"
expect_eq "unknown_field_kept" "kept in order" "$(printf '%s\n' "$OUT" | jq -rs '.[]|select(.section=="unknown_field")|.value')"
expect_eq "folded_auth_results_unfolded" "mx.example.org; spf=fail smtp.mailfrom=sender.example" "$(printf '%s\n' "$OUT" | jq -rs '.[]|select(.name=="authentication-results")|.value')"
expect_match "problem_says_given_twice" "Source-IP given more than once" "$OUT"

run "$MAILOPS" -o tsv arf list "$DATA/8bit.eml"
expect_eq "8bit_subject_utf8" "Größe und Preis für Sie" "$(printf '%s\n' "$OUT" | sed -n 2p | cut -f12)"
expect_eq "8bit_recipient" "jürgen@example.de" "$(printf '%s\n' "$OUT" | sed -n 2p | cut -f9)"
expect_eq "ipv6_source" "2001:db8::25" "$(printf '%s\n' "$OUT" | sed -n 2p | cut -f7)"
run "$MAILOPS" -o tsv arf summary --by net "$DATA/8bit.eml"
expect_match "ipv6_net_64" $'2001:db8::/64\t1' "$OUT"

run "$MAILOPS" -o tsv arf list "$DATA/two-reports.eml"
expect_eq "two_reports_two_rows" "1 abuse 198.51.100.1,1 fraud 198.51.100.2," "$(printf '%s\n' "$OUT" | awk -F'\t' 'NR>1{printf "%s %s %s,", $1, $5, $7}')"
expect_eq "two_reports_own_originals" "first original,second original," "$(printf '%s\n' "$OUT" | awk -F'\t' 'NR>1{printf "%s,", $12}')"

# a report forwarded as an attachment, and a report with no multipart around it
run "$MAILOPS" -o tsv arf list "$DATA/forwarded.eml" "$DATA/bare-report.eml"
expect_eq "forwarded_report_found" "1 abuse 192.0.2.44 scomp@aol.net AOL,2 virus 198.51.100.77 fbl@bare.example ," \
	"$(printf '%s\n' "$OUT" | awk -F'\t' 'NR>1{printf "%s %s %s %s %s,", $1, $5, $7, $3, $4}')"

run "$MAILOPS" -o tsv arf list "$DATA/fromquote.mbox"
expect_eq "from_quoting_two_messages" 2 "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)"
run "$MAILOPS" arf show 1 "$DATA/fromquote.mbox"
expect_match "from_quoting_undone_in_original" $'\nFrom what we said' "$OUT"
expect_match "mboxrd_quoting_one_level" $'\n>From deeper' "$OUT"

# escape sequences in every field: nothing reaches the terminal
for fmt in text tsv csv json; do
	"$MAILOPS" -o "$fmt" arf list "$DATA/escapes.eml" >"$TMP/esc.$fmt" 2>&1
	expect_eq "escapes_list_${fmt}_exit" 0 "$?"
	expect_eq "escapes_list_${fmt}_no_esc_byte" 0 "$(LC_ALL=C grep -c $'\033\|\xc2\x9b\|\x9b' "$TMP/esc.$fmt")"
done
expect_match "escapes_shown_escaped" '\\x1b\[31m' "$(cat "$TMP/esc.text")"
for v in show complainers summary; do
	a=(); [ "$v" = show ] && a=(1)
	"$MAILOPS" arf "$v" "${a[@]}" "$DATA/escapes.eml" >"$TMP/esc.$v" 2>&1
	expect_eq "escapes_${v}_no_esc_byte" 0 "$(LC_ALL=C grep -c $'\033\|\x9b' "$TMP/esc.$v")"
done
"$MAILOPS" -o arfparse arf list "$DATA/escapes.eml" >"$TMP/esc.ap" 2>&1
expect_eq "escapes_arfparse_no_esc_byte" 0 "$(LC_ALL=C grep -c $'\033' "$TMP/esc.ap")"
expect_match "escapes_arfparse_has_block" "^X-Idx: 1" "$(cat "$TMP/esc.ap")"

# ---- corrupt inputs: error rows, never a crash ----
run "$MAILOPS" -o tsv arf list "$DATA/nul.mbox"
expect_eq "nul_exit_0" 0 "$RC"
expect_eq "nul_rows" "1 arf,2 error,3 arf," "$(printf '%s\n' "$OUT" | awk -F'\t' 'NR>1{printf "%s %s,", $1, $6}')"
run "$MAILOPS" -o tsv arf list "$DATA/truncated.mbox"
expect_eq "truncated_exit_0" 0 "$RC"
expect_match "truncated_error_row" $'\n2\t.*\terror\t.*truncated' "$OUT"
# a 1 MB line in a report's human part and another in the original
{
	head -n 20 "$CORPUS/stalwart-001.eml"
	head -c 1048576 /dev/zero | tr '\0' 'a'
	echo
	tail -n +21 "$CORPUS/stalwart-001.eml"
} >"$TMP/long.eml"
run "$MAILOPS" -o tsv arf list "$TMP/long.eml"
expect_eq "long_line_exit_0" 0 "$RC"
expect_eq "long_line_still_a_report" "abuse" "$(printf '%s\n' "$OUT" | sed -n 2p | cut -f5)"
printf '\0\0\0 not mail at all \0' >"$TMP/junk.eml"
expect_rc "every_message_failed_exits_65" 65 "$MAILOPS" arf list "$TMP/junk.eml"
expect_match "every_message_failed_says_so" "no message could be read" "$ERR"
expect_rc "missing_mailbox_exits_66" 66 "$MAILOPS" arf list "$TMP/nosuch.mbox"
: >"$TMP/empty.mbox"
expect_rc "empty_mailbox_exits_0" 0 "$MAILOPS" arf list "$TMP/empty.mbox"
expect_rc "no_mailbox_is_usage" 64 "$MAILOPS" arf list
expect_match "no_mailbox_says_config_is_empty" 'no mailbox given, and \[arf\] mailboxes is empty' "$ERR"
# none given: [arf] mailboxes is read (list, summary, complainers, show)
printf '[arf]\nmailboxes = %s, %s\n' "$DATA/two-reports.eml" "$DATA/fromquote.mbox" >"$TMP/boxes.conf"
run "$MAILOPS" -c "$TMP/boxes.conf" -o tsv arf list
expect_eq "config_mailboxes_listed" "1,1,2,3," "$(printf '%s\n' "$OUT" | awk -F'\t' 'NR>1{printf "%s,", $1}')"
run "$MAILOPS" -c "$TMP/boxes.conf" -o tsv arf summary --by type
expect_eq "config_mailboxes_summary_exits_0" 0 "$RC"
run "$MAILOPS" -c "$TMP/boxes.conf" -o tsv arf show 3
expect_match "config_mailboxes_show" "virus" "$OUT"
run "$MAILOPS" -c "$TMP/boxes.conf" -o tsv arf complainers
expect_eq "config_mailboxes_complainers_exits_0" 0 "$RC"
# two mailboxes: n runs on across them
run "$MAILOPS" -o tsv arf list "$DATA/two-reports.eml" "$DATA/fromquote.mbox"
expect_eq "n_across_mailboxes" "1,1,2,3," "$(printf '%s\n' "$OUT" | awk -F'\t' 'NR>1{printf "%s,", $1}')"
run "$MAILOPS" -o tsv arf show 3 "$DATA/two-reports.eml" "$DATA/fromquote.mbox"
expect_match "show_n_across_mailboxes" "virus" "$OUT"

# ---- a whole mbox with CR-only line ends: split as any other ----
AOL=$CORPUS/aol-SampleARFReport1.eml
{ echo "From a Thu Jul 17 13:50:49 2008"; cat "$AOL"; echo; echo "From b Thu Jul 17 13:50:49 2008"; cat "$AOL"; } | tr '\n' '\r' >"$TMP/cr.mbox"
run "$MAILOPS" -o tsv arf list --all "$TMP/cr.mbox"
expect_eq "cr_only_mbox_two_reports" "1 abuse 203.190.229.246,2 abuse 203.190.229.246," \
	"$(printf '%s\n' "$OUT" | awk -F'\t' 'NR>1{printf "%s %s %s,", $1, $5, $7}')"
tr '\n' '\r' <"$AOL" >"$TMP/cr.eml"
run "$MAILOPS" -o tsv arf list "$TMP/cr.eml"
expect_eq "cr_only_eml_not_truncated" "" "$(printf '%s\n' "$OUT" | sed -n 2p | cut -f13)"

# ---- a message cut in its header does not swallow the next one ----
{ echo "From a Thu Jul 17 13:50:49 2008"; printf 'From: x@example.com\nSubject: cut\n'
  echo "From b Thu Jul 17 13:50:49 2008"; cat "$AOL"; } >"$TMP/cut.mbox"
run "$MAILOPS" -o tsv arf list --all "$TMP/cut.mbox"
expect_eq "cut_header_is_its_own_error_row" "1 error" "$(printf '%s\n' "$OUT" | awk -F'\t' 'NR==2{print $1, $6}')"
expect_eq "cut_header_next_report_is_aols" "2 scomp@aol.net abuse" "$(printf '%s\n' "$OUT" | awk -F'\t' 'NR==3{print $1, $3, $5}')"

# ---- DEL in a field: escaped in JSON too (jansson writes it as it is) ----
sed 's/^Source-IP: .*/Source-IP: x\x7fy/' "$AOL" >"$TMP/del.eml"
run "$MAILOPS" -o json arf list "$TMP/del.eml"
expect_eq "json_del_escaped" "0 x\\x7fy" "$(printf '%s' "$OUT" | tr -cd '\177' | wc -c) $(printf '%s\n' "$OUT" | jq -r .source_ip)"

# ---- a header of megabytes: an error row, not GMime's forty-fold memory ----
python3 -c "
import sys
src = open(sys.argv[1], 'rb').read()
i = src.index(b'\\n') + 1
sys.stdout.buffer.write(src[:i] + b'X-Big: ' + b'a' * 100 + (b'\\n ' + b'a' * 100) * 30000 + b'\\n' + src[i:])" "$AOL" >"$TMP/bighdr.eml"
run "$MAILOPS" -o tsv arf list --all "$TMP/bighdr.eml"
expect_match "huge_header_is_an_error_row" 'a header of [0-9]+ bytes: too big to be a report' "$OUT"

# ---- a NUL ending the original's Subject does not join the next header to it ----
python3 -c "
import sys
src = open(sys.argv[1], 'rb').read()
i = src.index(b'Subject:', src.index(b'message/rfc822'))
j = src.index(b'\\n', i)
sys.stdout.buffer.write(src[:j] + b'a\\x00' + src[j:])" "$AOL" >"$TMP/nulsub.eml"
run "$MAILOPS" -o tsv arf list "$TMP/nulsub.eml"
expect_eq "nul_in_subject_keeps_next_header_apart" "English OK! Mail Magazine - July 17tha" "$(printf '%s\n' "$OUT" | sed -n 2p | cut -f12)"

# ---- a FIFO among a Maildir's files: refused, never waited on ----
mkdir -p "$TMP/fifo-md/cur" "$TMP/fifo-md/new"
cp "$CORPUS/stalwart-001.eml" "$TMP/fifo-md/cur/1"
mkfifo "$TMP/fifo-md/new/2"
run timeout 20 "$MAILOPS" -o tsv arf list --all "$TMP/fifo-md"
expect_eq "fifo_in_maildir_does_not_block" 0 "$RC"
expect_match "fifo_in_maildir_is_an_error_row" 'fifo-md/new/2: not a regular file' "$OUT"
expect_eq "fifo_in_maildir_report_still_read" "abuse" "$(printf '%s\n' "$OUT" | sed -n 2p | cut -f5)"
run bash -c "'$MAILOPS' arf list - <'$TMP'"
expect_eq "stdin_read_error_exits_66" 66 "$RC"
expect_match "stdin_read_error_says_why" 'cannot read standard input: Is a directory' "$ERR"

# ---- no report at all: empty summaries, not a crash (UBSan under check-asan) ----
printf 'From: a@example.org\nSubject: hi\n\nhi\n' >"$TMP/plain.eml"
run "$MAILOPS" -o tsv arf summary "$TMP/plain.eml"
expect_eq "summary_without_reports" "0 1" "$RC $(printf '%s\n' "$OUT" | wc -l)"
run "$MAILOPS" -o tsv arf complainers "$TMP/plain.eml"
expect_eq "complainers_without_reports" "0 1" "$RC $(printf '%s\n' "$OUT" | wc -l)"

# ---- a message of 20,000 report parts: each finds its original in one pass ----
python3 -c "import sys;p=b'--X\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n\n';sys.stdout.buffer.write(b'From: f@example.net\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"X\"\n\n'+p*20000+b'--X--\n')" >"$TMP/many.eml"
run timeout 60 "$MAILOPS" -o tsv arf list "$TMP/many.eml"
expect_eq "many_report_parts_all_listed" "0 20000" "$RC $(($(printf '%s\n' "$OUT" | wc -l) - 1))"

# ---- memory: bounded by the largest message, not by the mailbox ----
# 118 MB of ordinary mail after the corpus: the resident size stays far
# below the mailbox's (the mapped pages read are given back as it goes).
{
	printf 'From sender@example.org Mon Feb  1 10:00:00 2021\nFrom: sender@example.org\n'
	printf 'Subject: ordinary\nMessage-ID: <o@example.org>\n\n'
	for i in $(seq 1 60); do printf 'the quick brown fox jumps over the lazy postmaster, line %s\n' "$i"; done
	echo
} >"$TMP/one.mbox"
cp "$TMP/one.mbox" "$TMP/plain.mbox"
while [ "$(stat -c %s "$TMP/plain.mbox")" -lt $((96 << 20)) ]; do
	cat "$TMP/plain.mbox" "$TMP/plain.mbox" >"$TMP/plain2.mbox" && mv "$TMP/plain2.mbox" "$TMP/plain.mbox"
done
cat "$MBOX" "$TMP/plain.mbox" >"$TMP/huge.mbox"
rm -f "$TMP/plain.mbox" "$TMP/one.mbox"
/usr/bin/time -o "$TMP/rss" -f %M "$MAILOPS" -o tsv arf list "$TMP/huge.mbox" >"$TMP/huge.out" 2>"$TMP/huge.err"
expect_eq "huge_mbox_exits_0" 0 "$?"
expect_eq "huge_mbox_42_reports" 42 "$(($(wc -l <"$TMP/huge.out") - 1))"
rss=$(tail -1 "$TMP/rss")
mb=$(($(stat -c %s "$TMP/huge.mbox") >> 20))
if [ "$rss" -lt $((100 << 10)) ]; then
	ok "huge_mbox_${mb}_MB_under_100_MB_resident"
else
	not_ok "huge_mbox_${mb}_MB_under_100_MB_resident" "max RSS $((rss >> 10)) MB"
fi
rm -f "$TMP/huge.mbox"

# ---- the reporters file ----
printf '# test\nabusedesk@example.com Example FBL\nua:LowerCase Lower Inc\n' >"$TMP/reporters"
printf '[arf]\nreporters = %s\n' "$TMP/reporters" >"$TMP/arf.conf"
run "$MAILOPS" -c "$TMP/arf.conf" -o tsv arf list "$CORPUS/stalwart-001.eml" "$DATA/lowercase.eml"
expect_eq "reporters_file_extends_table" "Example FBL,Lower Inc," "$(printf '%s\n' "$OUT" | awk -F'\t' 'NR>1{printf "%s,", $4}')"
printf '[arf]\nreporters = %s\n' "$TMP/nosuch" >"$TMP/bad.conf"
expect_rc "reporters_file_missing_exits_78" 78 "$MAILOPS" -c "$TMP/bad.conf" arf list "$MBOX"

done_testing
