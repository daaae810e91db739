#!/usr/bin/perl
# tests/peers/old_memcached.pl PORTFILE: a scripted memcached older than
# 1.6.9 on 127.0.0.1, for the one fault a current server will not produce:
# it refuses "lru_crawler metadump hash" as those versions do, and answers
# "metadump all" with two keys. Also "stats" (its clock), "mg" (a valid entry) and
# "mn". Writes its port to PORTFILE. A process per client.
use strict;
use warnings;
use IO::Socket::INET;

my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 5, ReuseAddr => 1) or die "$!\n";
open(my $f, '>', $ARGV[0]) or die "$!\n";
print $f $s->sockport, "\n";
close $f;
$SIG{CHLD} = 'IGNORE';
while (1) {
	my $c = $s->accept or next;
	if (fork) {
		close $c;
		next;
	}
	$c->autoflush(1);
	while (my $l = <$c>) {
		$l =~ s/\r?\n$//;
		print STDERR "peer: $l\n" if $ENV{PEER_DEBUG};
		my $t = time;
		if ($l eq 'lru_crawler metadump hash') {
			print $c "CLIENT_ERROR bad command line format\r\n";
		} elsif ($l eq 'lru_crawler metadump all') {
			print $c "key=ca%3Ar%3Aold1%40example.org exp=-1 la=$t cas=1 fetch=no cls=1 size=70\n",
			  "key=ca%3Ar%3Aold2%40example.org exp=-1 la=$t cas=2 fetch=no cls=1 size=70\n", "END\r\n";
		} elsif ($l =~ /^stats/) {
			print $c "STAT pid $$\r\nSTAT time $t\r\nSTAT version 1.6.8\r\nEND\r\n";
		} elsif ($l =~ /^mg /) {
			my $v = "valid 250 2.1.5 $t mx.example.org Ok";
			print $c 'VA ', length($v), " f0\r\n$v\r\n";
		} elsif ($l eq 'mn') {
			print $c "MN\r\n";
		} elsif ($l eq 'quit') {
			last;
		} else {
			print $c "ERROR\r\n";
		}
	}
	exit 0;
}
