#!/usr/bin/env bash
# 1000 recipient checks (half known users, half unknown) against a real
# Postfix on 127.0.0.1: mailops callahead -j 32 against a loop of
# `swaks --quit-after RCPT` and a loop calling MIMEDefang's own
# md_check_against_smtp_server (Mail::MIMEDefang::Mail from the Debian
# package, unpacked, loaded without its daemons). Verifications per second
# and the ratios; the target is at least 100x swaks. Postfix runs with the
# settings of shared/notes/real-peers.md (in_flow_delay 0, no error sleep).
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
export ROOT
. "$ROOT/tests/lib.sh" >/dev/null
. "$ROOT/tests/mta.sh"
. "$ROOT/tests/postfix.sh"
N=${BENCH_CALLAHEAD:-1000}
NSWAKS=${BENCH_CALLAHEAD_SWAKS:-100}
pf_start >/dev/null || { echo "   postfix did not start"; exit 1; }
for i in $(seq 1 "$N"); do
	case $((i % 4)) in
	0) echo "alice@local.test" ;; 1) echo "ghost$i@local.test" ;; 2) echo "bob@local.test" ;; 3) echo "nobody$i@local.test" ;;
	esac
done >"$TMP/addrs"
printf '[cache]\nservers = 127.0.0.1:9\nconnect_timeout_ms = 100\n[callahead]\nserver = 127.0.0.1:%s\nhelo = bench.mailops.test\n' \
	"$PF_PORT" >"$TMP/c.conf"

rate() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.0f", (ms > 0 ? n * 1000 / ms : 0) }'; }
line() { printf '   %-52s %6d checks %7d ms %8s checks/s\n' "$1" "$2" "$3" "$(rate "$2" "$3")"; }

# mailops: all of them, 32 at once.
s=$(date +%s%N)
"$MAILOPS" -c "$TMP/c.conf" -o tsv callahead --no-cache -j 32 - <"$TMP/addrs" >"$TMP/m.out" 2>"$TMP/m.err"
m_ms=$(( ($(date +%s%N) - s) / 1000000 ))
m_n=$(tail -n +2 "$TMP/m.out" | wc -l)
m_ok=$(tail -n +2 "$TMP/m.out" | awk -F'\t' '$2 == "valid" || $2 == "invalid"' | wc -l)
line "mailops callahead -j 32 (answers: $m_ok valid/invalid)" "$m_n" "$m_ms"

# swaks: one process and session per address (a sample of NSWAKS).
s=$(date +%s%N)
head -"$NSWAKS" "$TMP/addrs" | while read -r a; do
	swaks --server "127.0.0.1:$PF_PORT" --to "$a" --from '' --helo bench.swaks.test --quit-after RCPT >/dev/null 2>&1 </dev/null
done
sw_ms=$(( ($(date +%s%N) - s) / 1000000 ))
line "swaks --quit-after RCPT, one after another" "$NSWAKS" "$sw_ms"

# MIMEDefang's md_check_against_smtp_server, in one Perl process.
MD=$ROOT/build/bench-tools
if [ ! -f "$MD/root/usr/share/perl5/Mail/MIMEDefang/Mail.pm" ]; then
	mkdir -p "$MD" && (cd "$MD" && rm -f ./*.deb && apt-get download -q mimedefang >/dev/null 2>&1 && dpkg -x mimedefang_*.deb root)
fi
md_ms=
if perl -I "$MD/root/usr/share/perl5" -MMail::MIMEDefang::Mail -e 1 2>/dev/null; then
	s=$(date +%s%N)
	md_n=$(head -"$NSWAKS" "$TMP/addrs" | perl -I "$MD/root/usr/share/perl5" -MMail::MIMEDefang -MMail::MIMEDefang::Mail -e '
		no warnings; *Mail::MIMEDefang::Mail::md_syslog = sub {}; *main::md_syslog = sub {};
		my $n = 0; while (my $a = <STDIN>) { chomp $a;
		my @r = Mail::MIMEDefang::Mail::md_check_against_smtp_server("<>", $a, "bench.md.test", "127.0.0.1", $ARGV[0]);
		$n++ if $r[0] eq "CONTINUE" || $r[0] eq "REJECT" } print "$n\n"' "$PF_PORT" 2>"$TMP/md.err")
	md_ms=$(( ($(date +%s%N) - s) / 1000000 ))
	line "MIMEDefang md_check_against_smtp_server (answers: $md_n)" "$NSWAKS" "$md_ms"
else
	echo "   MIMEDefang's Mail::MIMEDefang::Mail could not be loaded (make deps; apt-get download mimedefang)"
fi

awk -v mn="$m_n" -v mm="$m_ms" -v sn="$NSWAKS" -v sm="$sw_ms" -v dm="${md_ms:-0}" 'BEGIN {
	mr = mn * 1000 / (mm ? mm : 1); sr = sn * 1000 / (sm ? sm : 1); dr = dm ? sn * 1000 / dm : 0
	printf "   ratio: mailops / swaks            %8.1fx  target >= 100x: %s\n", mr / sr, (mr / sr >= 100 ? "met" : "NOT met")
	if (dr) printf "   ratio: mailops / MIMEDefang       %8.1fx\n", mr / dr
}'
