# tests/postfix.sh: sourced after tests/lib.sh and tests/mta.sh. A real
# Postfix (from the unpacked Debian package, no system service) listening
# on 127.0.0.1 at a free port, private to the test, stopped at exit.
#   pf_start [MAIN.CF LINES...]  users alice, bob, carol; aliases postmaster,
#                                sales; domain local.test. Sets PF_PORT, PF_I.
#   pf_stop
# Settings that matter for verification traffic (in_flow_delay, error
# limits) are set so probes are not slowed; a test can override any line.
PF_PORT=
PF_I=$TMP/postfix
pf_stop() {
	local pid
	pid=$(head -1 "$PF_I/spool/pid/master.pid" 2>/dev/null | tr -d ' ')
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 50); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	return 0
}
pf_start() {
	local R=$MTA_ROOT i
	mkdir -p "$PF_I/etc" "$PF_I/spool"
	chmod 755 "$TMP" "$PF_I" "$PF_I/etc"
	cp "$R/usr/share/postfix/master.cf.dist" "$PF_I/etc/master.cf"
	PF_PORT=$(free_port) || return 1
	cat >"$PF_I/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $PF_I/spool
data_directory = $PF_I/data
daemon_directory = $R/usr/lib/postfix/sbin
command_directory = $R/usr/sbin
shlib_directory = $R/usr/lib/postfix
meta_directory = $R/etc/postfix
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C LD_LIBRARY_PATH=$R/usr/lib/postfix
mail_owner = mail
setgid_group = users
myhostname = mx.local.test
mydomain = local.test
myorigin = local.test
mydestination = local.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
smtpd_relay_restrictions = reject_unauth_destination
alias_maps = hash:$PF_I/etc/aliases
alias_database = hash:$PF_I/etc/aliases
local_recipient_maps = hash:$PF_I/etc/users \$alias_maps
local_transport = discard:
maillog_file_prefixes = $PF_I
maillog_file = $PF_I/maillog
smtpd_banner = \$myhostname ESMTP test
biff = no
in_flow_delay = 0s
smtpd_error_sleep_time = 0s
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
CF
	for line in "$@"; do printf '%s\n' "$line" >>"$PF_I/etc/main.cf"; done
	printf 'alice\tx\nbob\tx\ncarol\tx\n' >"$PF_I/etc/users"
	printf 'postmaster: alice\nsales: alice, bob\n' >"$PF_I/etc/aliases"
	"$R/usr/sbin/postmap" -c "$PF_I/etc" "hash:$PF_I/etc/users" &&
		"$R/usr/sbin/postalias" -c "$PF_I/etc" "hash:$PF_I/etc/aliases" &&
		"$R/usr/sbin/postconf" -c "$PF_I/etc" -F -e '*/*/chroot = n' &&
		"$R/usr/sbin/postconf" -c "$PF_I/etc" -M# smtp/inet &&
		"$R/usr/sbin/postconf" -c "$PF_I/etc" -M -e "127.0.0.1:$PF_PORT/inet = 127.0.0.1:$PF_PORT inet n - n - - smtpd" ||
		return 1
	touch -d '-1 min' "$PF_I/etc/main.cf" "$PF_I/etc/master.cf"
	at_exit pf_stop
	# postfix-script reports a failed start only in the maillog; a start can
	# fail when another test takes the port between our check and the
	# master's bind: then again on another port, up to three times.
	for attempt in 1 2 3; do
		if "$R/usr/sbin/postfix" -c "$PF_I/etc" start >"$PF_I/start.log" 2>&1; then
			# Under load (CI runs the tests in parallel, also under ASan)
			# the master takes a while to listen.
			for i in $(seq 1 400); do
				(exec 3<>"/dev/tcp/127.0.0.1/$PF_PORT") 2>/dev/null && return 0
				sleep 0.05
			done
		fi
		echo "postfix start (attempt $attempt, port $PF_PORT) failed: $(cat "$PF_I/start.log" 2>/dev/null; tail -5 "$PF_I/maillog" 2>/dev/null)" >&2
		pf_stop
		sleep 1
		PF_PORT=$(free_port) || return 1
		for m in $("$R/usr/sbin/postconf" -c "$PF_I/etc" -M 2>/dev/null | awk '$1 ~ /^127\.0\.0\.1:/ {print $1 "/" $2}'); do
			"$R/usr/sbin/postconf" -c "$PF_I/etc" -MX "$m" 2>/dev/null
		done
		"$R/usr/sbin/postconf" -c "$PF_I/etc" -M -e "127.0.0.1:$PF_PORT/inet = 127.0.0.1:$PF_PORT inet n - n - - smtpd" || return 1
		touch -d '-1 min' "$PF_I/etc/master.cf"
	done
	return 1
}
