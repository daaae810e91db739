#!/usr/bin/env bash
# tests/peers/mta-tools.sh DIR: the real MTA tools the alias tests compare
# against, unpacked from Debian's packages (apt-get download + dpkg -x, no
# service installed or started): sendmail's makemap, praliases and sendmail
# itself, Postfix's postalias/postmap. Prints the unpack root. Idempotent:
# a DIR that already has them is reused.
set -eu
D=${1:?usage: mta-tools.sh DIR}
mkdir -p "$D"
if [ -x "$D/root/usr/sbin/makemap" ] && [ -x "$D/root/usr/sbin/postalias" ]; then
	echo "$D/root"
	exit 0
fi
cd "$D"
chmod 755 "$D"
apt-get download -q sendmail-bin sendmail-cf libwrap0 postfix >download.log 2>&1 || {
	cat download.log >&2
	exit 1
}
for deb in ./*.deb; do dpkg -x "$deb" root; done
rm -f ./*.deb
echo "$D/root"
