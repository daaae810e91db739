#!/usr/bin/perl
# tests/helpers/cm_write.pl: writes keys the way the mail filter does, with
# Perl's Cache::Memcached (or Cache::Memcached::Fast with --fast), so the
# tests compare mailops with the real client, not with itself.
#
#   cm_write.pl --servers "127.0.0.1:P1 127.0.0.1:P2:2 ..." [--namespace NS]
#               [--fast [--ketama N]] [--ttl SECONDS] [--compress BYTES]
#               [--get] < lines of "KEY VALUE"
#
# A server "host:port:W" has weight W. Prints "KEY<TAB>stored" per key (or
# with --get, "KEY<TAB>VALUE" as the client reads it back).
use strict;
use warnings;
use Getopt::Long;

my ($servers, $ns, $fast, $ketama, $ttl, $compress, $get) = ('', '', 0, 0, 0, 0, 0);
GetOptions('servers=s' => \$servers, 'namespace=s' => \$ns, 'fast' => \$fast, 'ketama=i' => \$ketama,
	'ttl=i' => \$ttl, 'compress=i' => \$compress, 'get' => \$get) or exit 64;
my @list;
for my $s (split /[\s,]+/, $servers) {
	my ($addr, $w);
	if ($s =~ m{^/}) {
		($addr, $w) = ($s, 1); # a unix socket
	} else {
		my ($h, $p);
		($h, $p, $w) = split /:/, $s;
		$addr = "$h:$p";
	}
	$w ||= 1;
	if ($fast) {
		push @list, { address => $addr, weight => $w };
	} else {
		push @list, $w > 1 ? [$addr, $w] : $addr;
	}
}
my $m;
if ($fast) {
	require Cache::Memcached::Fast;
	$m = Cache::Memcached::Fast->new({ servers => \@list, namespace => $ns,
		($ketama ? (ketama_points => $ketama) : ()),
		($compress ? (compress_threshold => $compress) : ()) });
} else {
	require Cache::Memcached;
	$m = Cache::Memcached->new({ servers => \@list, namespace => $ns,
		($compress ? (compress_threshold => $compress) : ()) });
}
my $bad = 0;
while (my $line = <STDIN>) {
	chomp $line;
	my ($k, $v) = split / /, $line, 2;
	next unless defined $k && length $k;
	if ($get) {
		my $got = $m->get($k);
		print "$k\t", defined $got ? $got : '(none)', "\n";
		next;
	}
	my $ok = $m->set($k, defined $v ? $v : '', $ttl);
	print "$k\t", $ok ? "stored" : "FAILED", "\n";
	$bad++ unless $ok;
}
exit($bad ? 1 : 0);
