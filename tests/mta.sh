# tests/mta.sh: sourced after tests/lib.sh by the alias tests. The real
# sendmail and Postfix tools from tests/peers/mta-tools.sh, each run with a
# private configuration under $TMP, never the machine's own:
#   sm_makemap ARGS...   sendmail's makemap (no sendmail.cf)
#   sm_praliases FILE    praliases -f FILE
#   sm_newaliases FILE   sendmail -bi on FILE (implicit class: Debian's newaliases)
#   sm_verify FILE ADDR  sendmail -bv ADDR with FILE as its alias file
#   pf_postalias ARGS... Postfix's postalias with a private main.cf
#   pf_postmap ARGS...   Postfix's postmap, the same way
# sendmail needs a fully qualified host name: -bi/-bv run in private UTS and
# mount namespaces (unshare) with their own host name and /etc/hosts.
MTA_ROOT=${MAILOPS_MTA:-}
if [ -z "$MTA_ROOT" ]; then
	MTA_ROOT=$(bash "$ROOT/tests/peers/mta-tools.sh" "$ROOT/build/mta-tools" 2>"$TMP/mta-tools.err") || MTA_ROOT=
fi
if [ -z "$MTA_ROOT" ] || [ ! -x "$MTA_ROOT/usr/sbin/makemap" ]; then
	not_ok "mta_tools_available" "tests/peers/mta-tools.sh failed:" "$(cat "$TMP/mta-tools.err" 2>/dev/null)"
	done_testing
	exit 1
fi
export LD_LIBRARY_PATH=$MTA_ROOT/usr/lib/x86_64-linux-gnu:$MTA_ROOT/usr/lib/postfix
# sendmail refuses maps in world-writable directories: a private 0755 one.
MTA_DIR=$TMP/mta
mkdir -p "$MTA_DIR/q" "$MTA_DIR/pf"
chmod 755 "$MTA_DIR"

sm_makemap() { "$MTA_ROOT/usr/sbin/makemap" -C /dev/null "$@"; }
sm_praliases() { "$MTA_ROOT/usr/sbin/praliases" -C /dev/null -f "$1"; }

# _sm_cf FILE: a private sendmail.cf with FILE as the alias file.
_sm_cf() {
	local cf=$MTA_DIR/sendmail-$(echo "$1" | md5sum | cut -c1-8).cf
	if [ ! -f "$cf" ]; then
		printf 'hosts files\naliases files\n' >"$MTA_DIR/service.switch"
		printf '127.0.0.1 localhost\n127.0.0.1 mail.test.invalid mail\n' >"$MTA_DIR/hosts"
		cat >"$MTA_DIR/test.mc" <<MC
divert(0)dnl
VERSIONID(\`mailops tests')
OSTYPE(\`linux')
define(\`confDOMAIN_NAME', \`mail.test.invalid')
define(\`ALIAS_FILE', \`$1')
define(\`QUEUE_DIR', \`$MTA_DIR/q')
define(\`STATUS_FILE', \`$MTA_DIR/statistics')
define(\`confDONT_PROBE_INTERFACES', \`True')
define(\`confDEF_USER_ID', \`0:0')
define(\`LOCAL_MAILER_PATH', \`/bin/false')
define(\`confSERVICE_SWITCH_FILE', \`$MTA_DIR/service.switch')
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit,MapInUnsafeDirPath,LinkedMapInWritableDir,GroupWritableDirPathSafe,GroupWritableAliasFile,GroupReadableKeyFile,WorldWritableAliasFile,IncludeFileInGroupWritableDirPath,IncludeFileInUnsafeDirPath,ForwardFileInUnsafeDirPath,FileDeliveryToSymlink,FileDeliveryToHardLink')
FEATURE(\`nocanonify')
MAILER(\`local')
MAILER(\`smtp')
MC
		m4 -D_CF_DIR_="$MTA_ROOT/usr/share/sendmail/cf/" "$MTA_ROOT/usr/share/sendmail/cf/m4/cf.m4" \
			"$MTA_DIR/test.mc" >"$cf"
	fi
	if [ ! -x "$MTA_DIR/sendmail" ]; then
		# A copy without the setgid bit, so LD_LIBRARY_PATH applies.
		cp "$MTA_ROOT/usr/libexec/sendmail/sendmail" "$MTA_DIR/sendmail"
		chmod 755 "$MTA_DIR/sendmail"
	fi
	echo "$cf"
}
_sm_run() { # _sm_run FILE ARGS...: sendmail with FILE's cf, in its namespaces
	local cf
	cf=$(_sm_cf "$1")
	shift
	unshare -u -m sh -c 'mount --bind "$1" /etc/hosts && hostname mail.test.invalid && shift && exec "$@"' \
		sh "$MTA_DIR/hosts" "$MTA_DIR/sendmail" -C "$cf" "$@"
}
sm_newaliases() { _sm_run "$1" -bi; }
sm_verify() { local f=$1; shift; _sm_run "$f" -bv "$@"; }

pf_postmap() { pf_postalias -q x /dev/null >/dev/null 2>&1; "$MTA_ROOT/usr/sbin/postmap" -c "$MTA_DIR/pf" "$@"; }
pf_postalias() {
	if [ ! -f "$MTA_DIR/pf/main.cf" ]; then
		printf 'mail_owner = mail\nsetgid_group = users\ncompatibility_level = 3.6\nshlib_directory = %s\ndaemon_directory = %s\n' \
			"$MTA_ROOT/usr/lib/postfix" "$MTA_ROOT/usr/lib/postfix/sbin" >"$MTA_DIR/pf/main.cf"
		# A fresh main.cf makes postfix wait for its mtime to settle.
		touch -d '-1 min' "$MTA_DIR/pf/main.cf"
	fi
	"$MTA_ROOT/usr/sbin/postalias" -c "$MTA_DIR/pf" "$@"
}
