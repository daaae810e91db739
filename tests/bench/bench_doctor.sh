#!/usr/bin/env bash
# The doctor's mail-log check on a big Postfix log (BENCH_DOCTOR_LINES,
# 3,000,000 lines over the last 24 hours: connections, deliveries, lost
# sessions, rejections, deferrals) beside what a postmaster runs instead:
# pflogsumm over the file (a day's summary), and grep -c for one wording
# (the floor: a text search that classifies nothing). The doctor reads the
# last --since minutes only (it bisects the file on its stamps), so its
# time follows the window, not the file.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
MAILOPS=${MAILOPS:-$ROOT/mailops}
N=${BENCH_DOCTOR_LINES:-3000000}
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
now=$(date +%s)
awk -v n="$N" -v now="$now" 'BEGIN {
	srand(7)
	split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", mon, " ")
	for (i = 0; i < n; i++) {
		t = now - 86400 + int(i * 86400 / n)
		s = strftime("%m %e %H:%M:%S", t, 1)
		split(s, f, " ")
		stamp = sprintf("%s %2d %s", mon[f[1] + 0], f[2], f[3])
		r = rand(); c = int(rand() * 500)
		if (r < 0.30) printf "%s mx postfix/smtpd[%d]: connect from client%d.example[198.51.100.%d]\n", stamp, 1000 + c, c, c % 250
		else if (r < 0.55) printf "%s mx postfix/qmgr[99]: %05X%05X: from=<s%d@example.org>, size=%d, nrcpt=1 (queue active)\n", stamp, i, c, c, 1000 + c * 37
		else if (r < 0.80) printf "%s mx postfix/smtp[%d]: %05X%05X: to=<u%d@remote%d.example>, relay=mx.remote%d.example[192.0.2.%d]:25, delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n", stamp, 2000 + c, i, c, c, c % 40, c % 40, c % 250
		else if (r < 0.88) printf "%s mx postfix/smtpd[%d]: disconnect from client%d.example[198.51.100.%d] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5\n", stamp, 1000 + c, c, c % 250
		else if (r < 0.92) printf "%s mx postfix/smtpd[%d]: lost connection after RCPT from client%d.example[198.51.100.%d]\n", stamp, 1000 + c, c, c % 250
		else if (r < 0.97) printf "%s mx postfix/smtpd[%d]: NOQUEUE: reject: RCPT from client%d.example[198.51.100.%d]: 550 5.1.1 <x%d@local.test>: Recipient address rejected: User unknown in local recipient table; from=<s@example.org> to=<x%d@local.test> proto=ESMTP helo=<client%d.example>\n", stamp, 1000 + c, c, c % 250, c, c, c
		else printf "%s mx postfix/smtp[%d]: %05X%05X: to=<u%d@slow%d.example>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.slow%d.example[192.0.2.%d]:25: Connection timed out)\n", stamp, 2000 + c, i, c, c, c % 10, c % 10, c % 250
	}
}' >"$D/mail.log"
SIZE=$(stat -c %s "$D/mail.log")
cat "$D/mail.log" >/dev/null # warm the page cache
printf '[doctor]\nlog = %s/mail.log\n' "$D" >"$D/c.conf"
ms() { local s=$(date +%s%N); "$@" >"$D/out" 2>"$D/err"; echo $(( ($(date +%s%N) - s) / 1000000 )); }
t60=$(ms "$MAILOPS" -c "$D/c.conf" -o tsv doctor --only log --since 60)
lost60=$(awk -F'\t' '$2 == "lost connections" { print $4 }' "$D/out")
tday=$(ms "$MAILOPS" -c "$D/c.conf" -o tsv doctor --only log --since 1440)
lostday=$(awk -F'\t' '$2 == "lost connections" { print $4 }' "$D/out")
tg=$(ms grep -c 'lost connection after' "$D/mail.log")
glost=$(cat "$D/out")
printf '   input: %d lines, %d MB of Postfix log over 24 h\n' "$N" $((SIZE >> 20))
printf '   %-44s %7d ms  (lost %s)\n' "mailops doctor --only log --since 60" "$t60" "$lost60"
printf '   %-44s %7d ms  (lost %s)\n' "mailops doctor --only log --since 1440" "$tday" "$lostday"
printf '   %-44s %7d ms  (lines %s)\n' "grep -c 'lost connection after'" "$tg" "$glost"
if command -v pflogsumm >/dev/null 2>&1; then
	tp=$(ms pflogsumm --smtpd_warning_detail 0 "$D/mail.log")
	printf '   %-44s %7d ms\n' "pflogsumm (the whole file)" "$tp"
	awk -v a="$tp" -v b="$tday" -v c="$t60" 'BEGIN { printf "   ratio: pflogsumm / doctor (a day) = %.1fx; pflogsumm / doctor (last hour) = %.1fx\n", a / (b ? b : 1), a / (c ? c : 1) }'
else
	echo "   pflogsumm not installed (make deps installs it)"
fi
awk -v a="$tday" -v g="$tg" 'BEGIN { printf "   ratio: doctor (a day) / grep = %.1fx (it classifies every line; grep counts one wording)\n", a / (g ? g : 1) }'
