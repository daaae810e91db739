#!/usr/bin/perl
# tests/helpers/ca_cache.pl: the MIMEDefang snippet's cache functions
# (docs/examples/mimedefang-callahead.pl) from the shell, so the tests check
# mailops against the filter's own code for the shared schema (DESIGN §7).
#
#   ca_cache.pl --servers "H:P H:P" [--namespace NS] [--prefix P] get ADDR
#       prints "state code dsn time host text" ("-" for an empty field) from
#       the recipient's entry, else its domain's; "MISS" and exit 1 if none
#   ca_cache.pl ... put ADDR STATE CODE DSN HOST TEXT...
#       ca_cache_put ("-" for an empty CODE, DSN or HOST); prints "stored KEY",
#       or "not cached" for a state that never is (exit 0); exit 1 on failure
#   ca_cache.pl [--namespace NS] [--prefix P] key r|d STRING
#       the key it would use, without the namespace
use strict;
use warnings;
use FindBin;
use Getopt::Long;

require "$FindBin::Bin/../../docs/examples/mimedefang-callahead.pl";

my ($servers, $ns, $pfx) = ('', '', 'ca:');
GetOptions('servers=s' => \$servers, 'namespace=s' => \$ns, 'prefix=s' => \$pfx) or usage();
our (@servers, $namespace, $prefix);
@servers = split /[\s,]+/, $servers;
$namespace = $ns;
$prefix = $pfx;

sub usage {
	print STDERR "usage: ca_cache.pl --servers \"H:P ...\" [--namespace NS] [--prefix P]"
	  . " get ADDR | put ADDR STATE CODE DSN HOST TEXT... | key r|d STRING\n";
	exit 64;
}

my $cmd = shift @ARGV // usage();
if ($cmd eq 'key') {
	usage() unless @ARGV == 2 && $ARGV[0] =~ /\A[rd]\z/;
	print ca_cache_key($ARGV[0], $ARGV[1]), "\n";
	exit 0;
}
usage() unless @servers;
if ($cmd eq 'get') {
	usage() unless @ARGV == 1;
	my @f = ca_cache_get(ca_memd(), $ARGV[0]);
	unless (@f) {
		print "MISS\n";
		exit 1;
	}
	print join(' ', map { length $_ ? $_ : '-' } @f), "\n";
	exit 0;
}
if ($cmd eq 'put') {
	usage() unless @ARGV >= 5;
	my ($addr, $state, $code, $dsn, $host, @text) = @ARGV;
	my @f = map { $_ eq '-' ? '' : $_ } $code, $dsn, $host;
	my $r = ca_cache_put(ca_memd(), $addr, $state, @f, join(' ', @text));
	if (!defined $r) {
		print "FAILED\n";
		exit 1;
	}
	print length $r ? "stored $r\n" : "not cached\n";
	exit 0;
}
usage();
