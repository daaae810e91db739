#!/usr/bin/env bash
# tests/peers/mta-tools.sh DIR: the real MTA tools the alias tests compare
# against, unpacked from Debian's packages (apt-get download + dpkg -x, no
# service installed or started): sendmail's makemap, praliases and sendmail
# itself, Postfix's postalias/postmap. Prints the unpack root. Idempotent:
# a DIR that already has them is reused (tests/run keeps it in build/).
set -eu
D=${1:?usage: mta-tools.sh DIR}
mkdir -p "$D"
D=$(cd "$D" && pwd)
if [ -x "$D/root/usr/sbin/makemap" ] && [ -x "$D/root/usr/sbin/postalias" ] &&
	[ -x "$D/root/usr/libexec/sendmail/sendmail" ] && [ -f "$D/root/usr/share/sendmail/cf/m4/cf.m4" ]; then
	echo "$D/root"
	exit 0
fi
cd "$D"
chmod 755 "$D"
rm -rf root ./*.deb
pkgs="sendmail-bin sendmail-cf libwrap0 postfix"
if ! apt-get download -q $pkgs >download.log 2>&1; then
	# Package lists may be missing or stale on a fresh machine.
	apt-get update -qq >>download.log 2>&1 || true
	apt-get download -q $pkgs >>download.log 2>&1 || {
		cat download.log >&2
		exit 1
	}
fi
for deb in ./*.deb; do dpkg -x "$deb" root; done
rm -f ./*.deb
echo "$D/root"
