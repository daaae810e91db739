#!/usr/bin/env bash
# Hostile bytes (ESC [ 2 J, OSC 52 clipboard writes, 8-bit CSI, C1) never
# reach the terminal raw from any batch output or error message.
. "$(dirname "$0")/../lib.sh"

CLEAR=$'\e[2J'
OSC52=$'\e]52;c;aGFja2Vk\a'
OSC52ST=$'\e]52;c;aGFja2Vk\e\\'
CSI8=$'\x9b'"31m"
C1UTF8=$'\xc2\x9b'"32m"
printf '[doctor]\nprobe_address = x%sy%sz%sw%sv%su\n' "$CLEAR" "$OSC52" "$OSC52ST" "$CSI8" "$C1UTF8" >"$TMP/hostile.conf"

# No ESC (0x1b), no 8-bit CSI byte 0x9b, no C1 (c2 80..c2 9f) and no BEL in the output.
has_raw() { LC_ALL=C grep -qaP '\x1b|\x07|\x9b' "$1" || LC_ALL=C grep -qaP '\xc2[\x80-\x9f]' "$1"; }

for fmt in text tsv csv json; do
	"$MAILOPS" -c "$TMP/hostile.conf" -o "$fmt" config show doctor.probe_address >"$TMP/out.$fmt" 2>"$TMP/err.$fmt"
	rc=$?
	if [ "$rc" = 0 ] && ! has_raw "$TMP/out.$fmt" && grep -q 'x' "$TMP/out.$fmt"; then
		ok "no_raw_escape_in_${fmt}_output"
	else
		not_ok "no_raw_escape_in_${fmt}_output" "exit $rc" "$(od -c "$TMP/out.$fmt" | head -5)"
	fi
done
expect_match "text_shows_escapes_visibly" 'x\\x1b\[2Jy\\x1b\]52;c;aGFja2Vk\\x07z' "$(cat "$TMP/out.text")"
expect_match "tsv_shows_escapes_visibly" '\\x9b31m' "$(cat "$TMP/out.tsv")"
# JSON keeps the data: jq decodes the escapes back to the original bytes.
got=$(jq -r .value <"$TMP/out.json" | od -An -tx1 | tr -d ' \n')
want=$(printf 'x%sy%sz%sw' "$CLEAR" "$OSC52" "$OSC52ST" | od -An -tx1 | tr -d ' \n')
expect_match "json_round_trips_controls" "^$want" "$got"

# Error messages: a hostile command word is escaped in the one-line error.
"$MAILOPS" "$CLEAR$OSC52" >"$TMP/o" 2>"$TMP/e"
rc=$?
if [ "$rc" = 64 ] && ! has_raw "$TMP/e" && grep -q '\\x1b\[2J' "$TMP/e"; then
	ok "usage_error_escapes_hostile_word"
else
	not_ok "usage_error_escapes_hostile_word" "exit $rc" "$(od -c "$TMP/e" | head -5)"
fi
# A hostile config file name in the config error.
cp "$TMP/hostile.conf" "$TMP/x${CLEAR}y.conf"
printf 'bogus = 1\n' >>"$TMP/x${CLEAR}y.conf"
"$MAILOPS" -c "$TMP/x${CLEAR}y.conf" config >"$TMP/o" 2>"$TMP/e"
rc=$?
if [ "$rc" = 78 ] && ! has_raw "$TMP/e"; then
	ok "config_error_escapes_hostile_path"
else
	not_ok "config_error_escapes_hostile_path" "exit $rc" "$(od -c "$TMP/e" | head -5)"
fi

done_testing
