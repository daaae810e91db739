#!/usr/bin/env bash
# STARTTLS against a real Postfix that requires it (smtpd_tls_security_level
# = encrypt, a self-signed certificate made here): without TLS the probe is
# told 530 at MAIL (tls-required, nothing cached); with starttls = required
# or opportunistic the answers are Postfix's own, over TLS, with the
# certificate shown in the transcript.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../mta.sh"
. "$(dirname "$0")/../postfix.sh"

mkdir -p "$TMP/tls"
if ! openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mx.local.test" \
	-keyout "$TMP/tls/key.pem" -out "$TMP/tls/cert.pem" >"$TMP/tls/openssl.log" 2>&1; then
	not_ok "certificate_made" "$(cat "$TMP/tls/openssl.log")"
	done_testing
	exit 1
fi
chmod 644 "$TMP/tls/key.pem" "$TMP/tls/cert.pem"
if ! pf_start "smtpd_tls_security_level = encrypt" "smtpd_tls_cert_file = $TMP/tls/cert.pem" \
	"smtpd_tls_key_file = $TMP/tls/key.pem" "smtpd_tls_loglevel = 1" 2>"$TMP/pf.err"; then
	not_ok "postfix_started" "$(cat "$TMP/pf.err")"
	done_testing
	exit 1
fi
conf() { # conf NAME STARTTLS
	local f=$TMP/$1.conf
	printf '[cache]\nservers = 127.0.0.1:9\nconnect_timeout_ms = 200\n[callahead]\nserver = 127.0.0.1:%s\nhelo = probe.mailops.test\nconnect_timeout = 5\nreply_timeout = 5\nstarttls = %s\n' \
		"$PF_PORT" "$2" >"$f"
	echo "$f"
}
field() { printf '%s\n' "$OUT" | awk -F'\t' -v c="$1" -v a="$2" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next } $h["address"] == a { print $h[c] }'; }

run "$MAILOPS" -c "$(conf off off)" -o tsv callahead --no-cache alice@local.test
expect_eq "without_tls_exit_75" 75 "$RC"
expect_eq "without_tls_is_tls_required" "tls-required 530" "$(field state alice@local.test) $(field code alice@local.test)"

run "$MAILOPS" -c "$(conf req required)" -o tsv callahead --no-cache --transcript alice@local.test ghost@local.test
expect_eq "tls_required_answers_exit_1" 1 "$RC"
expect_eq "tls_valid_and_invalid" "valid invalid 550" \
	"$(field state alice@local.test) $(field state ghost@local.test) $(field code ghost@local.test)"
t=$(field transcript alice@local.test)
expect_match "transcript_shows_starttls" '-> STARTTLS\\n.*<- 220 ' "$t"
expect_match "transcript_shows_certificate" 'TLSv1\.[23] .*subject .*CN ?= ?mx\.local\.test.*\(not verified\)' "$t"
expect_match "transcript_tls_marks" '~> RCPT TO:<alice@local\.test>' "$t"
expect_match "postfix_logged_tls" 'TLS connection established from' "$(cat "$PF_I/maillog")"

run "$MAILOPS" -c "$(conf opp opportunistic)" -o tsv callahead --no-cache bob@local.test
expect_eq "opportunistic_valid" "valid" "$(field state bob@local.test)"
done_testing
