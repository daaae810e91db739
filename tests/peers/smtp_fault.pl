#!/usr/bin/perl
# tests/peers/smtp_fault.pl: a scripted SMTP peer for the faults no real
# server produces on demand. Perl core modules only; listens on 127.0.0.1.
#
#   perl tests/peers/smtp_fault.pl [--addr 127.0.0.1] [--port 0] \
#        --portfile FILE --log FILE SCENARIO
#
# Writes its port to FILE once listening (atomically: FILE.tmp, renamed),
# forks a child per connection (sessions run at once), exits on SIGTERM
# after sending SIGTERM to its children. A child whose parent is gone exits.
#
# Log (--log, appended): one line per event, "<ms since epoch> <conn> <event>":
#   1733000000123 3 CONNECT 127.0.0.1:41234
#   1733000000124 3 S: 220 fault.test ESMTP     (a reply line, without CRLF)
#   1733000000125 3 C: RCPT TO:<x@y>            (a line received, CR/LF cut)
#   1733000000126 3 BURST 3                     (pipelining: 3 commands in one read)
#   1733000000127 3 CLOSE by client|by server|reset by client|reset by server
#   1733000000128 3 KILLED                      (SIGTERM while the session was open)
# Connections are numbered from 1. Bytes < 0x20 and 0x7f in a logged line
# show as \xNN. Match with e.g. `grep -c ' C: DATA'` or awk '$2 == 3'.
#
# Default dialogue (every scenario unless it says otherwise):
#   banner 220 fault.test ESMTP; EHLO: 250-fault.test, 250-SIZE 10000000,
#   250 8BITMIME; HELO 250 fault.test; MAIL 250 2.1.0 Ok; RCPT 250 2.1.5 Ok;
#   RSET 250 2.0.0 Ok; NOOP 250 2.0.0 Ok; QUIT 221 2.0.0 Bye and close;
#   DATA 554 5.5.1 no DATA here (a probe must never send it); anything else
#   502 5.5.2 unknown. Replies end CRLF; received lines may end CRLF or LF.
#
# Scenarios:
#   accept               RCPT 250 2.1.5 Ok; local part unknown* gets
#                        "550 5.1.1 <addr>: Recipient address rejected: User
#                        unknown", greylist* gets "450 4.2.0 greylisted"
#   reject-multiline     RCPT 550-5.1.1 The email account that you tried to
#                        reach does not exist. / 550-5.1.1 Please try
#                        double-checking / 550 5.1.1 user unknown
#   tempfail451          RCPT 451 4.3.0 try later
#   ratelimit452         RCPT 452 4.5.3 Too many recipients
#   null-sender-refused  MAIL FROM:<> 550 5.7.1 null sender refused; others 250
#   tls530               MAIL 530 5.7.0 Must issue a STARTTLS command first
#   slow-banner          the banner after 8 s (lines sent before it are logged
#                        and answered after it)
#   silent-after-rcpt    no reply to RCPT nor to anything after it; the
#                        connection stays open until killed or closed by the client
#   421-close            RCPT 421 4.7.0 fault.test closing, then close
#   reset-after-rcpt     at RCPT, close with SO_LINGER 0: the client sees a reset
#   garbage-banner       banner "HELLO THERE", then no reply to anything
#                        until the client closes
#   long-line            RCPT "250 " + 5000 'x'
#   bare-lf              every reply line ends with LF only (multi-line EHLO too)
#   ehlo502              EHLO 502 5.5.1 EHLO not supported; HELO 250
#   accept-all           every RCPT 250 2.1.5 Ok, whatever the local part
#   pipelining           EHLO also advertises PIPELINING; RCPT as in accept;
#                        a read holding k > 1 commands logs "BURST k"
#   no-221               QUIT gets no reply; open until the client closes
#   banner-554           banner 554 5.7.1 no service for you; EHLO/QUIT as usual
use strict;
use warnings;
use Getopt::Long;
use IO::Socket::INET;
use IO::Select;
use POSIX qw(:sys_wait_h :signal_h EINTR EAGAIN);
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(time);

my %SCENARIOS = map { $_ => 1 } qw(accept reject-multiline tempfail451 ratelimit452
	null-sender-refused tls530 slow-banner silent-after-rcpt 421-close reset-after-rcpt
	garbage-banner long-line bare-lf ehlo502 accept-all pipelining no-221 banner-554);

my ($addr, $port, $portfile, $logfile) = ('127.0.0.1', 0, undef, undef);
GetOptions('addr=s' => \$addr, 'port=i' => \$port, 'portfile=s' => \$portfile, 'log=s' => \$logfile)
	or usage();
usage() unless defined $portfile && defined $logfile && @ARGV == 1;
my $scenario = $ARGV[0];
die "smtp_fault.pl: unknown scenario '$scenario' (one of: " . join(' ', sort keys %SCENARIOS) . ")\n"
	unless $SCENARIOS{$scenario};
die "smtp_fault.pl: --addr must be a 127.x.x.x address\n" unless $addr =~ /^127\.\d+\.\d+\.\d+$/;

sub usage {
	print STDERR "usage: smtp_fault.pl [--addr 127.0.0.1] [--port 0] --portfile FILE --log FILE SCENARIO\n";
	exit 64;
}

open(my $LOG, '>>', $logfile) or die "smtp_fault.pl: $logfile: $!\n";
binmode $LOG;

# One write per line on an O_APPEND descriptor shared by all children: lines
# of concurrent sessions never mix.
sub logl {
	my ($conn, $what) = @_;
	$what =~ s/([\x00-\x1f\x7f])/sprintf('\\x%02X', ord $1)/ge;
	my $line = sprintf("%d %d %s\n", int(time() * 1000), $conn, $what);
	syswrite($LOG, $line);
}

my $srv = IO::Socket::INET->new(LocalAddr => $addr, LocalPort => $port, Listen => 64, ReuseAddr => 1, Proto => 'tcp')
	or die "smtp_fault.pl: listen on $addr:$port: $!\n";
{
	open(my $pf, '>', "$portfile.tmp") or die "smtp_fault.pl: $portfile.tmp: $!\n";
	print $pf $srv->sockport, "\n";
	close($pf) or die "smtp_fault.pl: $portfile.tmp: $!\n";
	rename("$portfile.tmp", $portfile) or die "smtp_fault.pl: $portfile: $!\n";
}

my $parent = $$;
my %kids;
$SIG{PIPE} = 'IGNORE';
$SIG{CHLD} = sub {
	while ((my $pid = waitpid(-1, WNOHANG)) > 0) {
		delete $kids{$pid};
	}
};
$SIG{TERM} = $SIG{INT} = sub {
	kill 'TERM', keys %kids;
	my $until = time() + 2;
	while (%kids && time() < $until) {
		my $pid = waitpid(-1, WNOHANG);
		if ($pid > 0) { delete $kids{$pid}; next; }
		last if $pid < 0;
		select(undef, undef, undef, 0.02);
	}
	kill 'KILL', keys %kids;
	exit 0;
};

# ---- one session ----

my ($C, $N, $EOL, $SEL, $INBUF, @PENDING);

sub finish {
	my ($how) = @_;
	logl($N, "CLOSE $how");
	close $C;
	exit 0;
}

sub send_lines {
	for my $l (@_) {
		logl($N, "S: $l");
		my $out = $l . $EOL;
		while (length $out) {
			my $w = syswrite($C, $out);
			unless (defined $w) {
				next if $! == EINTR;
				logl($N, "WRITE-ERROR $!");
				finish('by client');
			}
			substr($out, 0, $w, '');
		}
	}
}

# Waits for input (a second at a time, while the parent lives) and returns
# the complete lines one read finished; ends the session at EOF or error.
sub read_lines {
	while (1) {
		my @r = $SEL->can_read(1);
		exit 0 if getppid() != $parent && !@r;
		next unless @r;
		my $got = sysread($C, my $chunk, 65536);
		if (!defined $got) {
			next if $! == EINTR || $! == EAGAIN;
			finish($!{ECONNRESET} ? 'reset by client' : "by client ($!)");
		}
		finish('by client') if $got == 0;
		$INBUF .= $chunk;
		my @lines;
		while ($INBUF =~ s/^([^\n]*)\n//) {
			(my $l = $1) =~ s/\r\z//;
			push @lines, $l;
		}
		return @lines if @lines;
	}
}

# Waits $secs seconds before the banner; lines that come meanwhile are
# logged now and answered after the banner.
sub delay_banner {
	my ($secs) = @_;
	my $until = time() + $secs;
	while ((my $left = $until - time()) > 0) {
		next unless $SEL->can_read($left);
		my $got = sysread($C, my $chunk, 65536);
		next if !defined $got && ($! == EINTR || $! == EAGAIN);
		finish(defined $got ? 'by client' : "reset by client ($!)") unless $got;
		$INBUF .= $chunk;
		while ($INBUF =~ s/^([^\n]*)\n//) {
			(my $l = $1) =~ s/\r\z//;
			logl($N, "C: $l");
			push @PENDING, $l;
		}
	}
}

sub silent_until_close {
	while (1) {
		logl($N, "C: $_") for read_lines();
	}
}

sub session {
	($C, $N) = @_;
	$EOL = $scenario eq 'bare-lf' ? "\n" : "\r\n";
	$SEL = IO::Select->new($C);
	$INBUF = '';
	binmode $C;
	$SIG{TERM} = sub { logl($N, 'KILLED'); exit 0; };
	logl($N, 'CONNECT ' . $C->peerhost . ':' . $C->peerport);

	delay_banner(8) if $scenario eq 'slow-banner';
	if ($scenario eq 'garbage-banner') {
		send_lines('HELLO THERE');
		silent_until_close();
	}
	send_lines($scenario eq 'banner-554' ? '554 5.7.1 no service for you' : '220 fault.test ESMTP');

	my $silent = 0;
	command($_, \$silent) for @PENDING;
	while (1) {
		my @lines = read_lines();
		logl($N, 'BURST ' . scalar(@lines)) if $scenario eq 'pipelining' && @lines > 1;
		for my $l (@lines) {
			logl($N, "C: $l");
			command($l, \$silent) unless $silent;
		}
	}
}

sub command {
	my ($l, $silent) = @_;
	my ($verb) = $l =~ /^\s*(\S+)/;
	$verb = uc($verb // '');
	if ($verb eq 'EHLO') {
		if ($scenario eq 'ehlo502') {
			send_lines('502 5.5.1 EHLO not supported');
		} else {
			send_lines('250-fault.test', ($scenario eq 'pipelining' ? ('250-PIPELINING') : ()),
				'250-SIZE 10000000', '250 8BITMIME');
		}
	} elsif ($verb eq 'HELO') {
		send_lines('250 fault.test');
	} elsif ($verb eq 'MAIL') {
		if ($scenario eq 'tls530') {
			send_lines('530 5.7.0 Must issue a STARTTLS command first');
		} elsif ($scenario eq 'null-sender-refused' && $l =~ /^\s*MAIL\s+FROM:\s*<\s*>/i) {
			send_lines('550 5.7.1 null sender refused');
		} else {
			send_lines('250 2.1.0 Ok');
		}
	} elsif ($verb eq 'RCPT') {
		rcpt($l, $silent);
	} elsif ($verb eq 'RSET') {
		send_lines('250 2.0.0 Ok');
	} elsif ($verb eq 'NOOP') {
		send_lines('250 2.0.0 Ok');
	} elsif ($verb eq 'QUIT') {
		return if $scenario eq 'no-221';
		send_lines('221 2.0.0 Bye');
		finish('by server');
	} elsif ($verb eq 'DATA') {
		send_lines('554 5.5.1 no DATA here');
	} else {
		send_lines('502 5.5.2 unknown');
	}
}

sub rcpt {
	my ($l, $silent) = @_;
	my $addr = $l =~ /<([^>]*)>/ ? $1 : ($l =~ /TO:\s*(\S+)/i ? $1 : '');
	(my $local = $addr) =~ s/@[^@]*\z//;
	if ($scenario eq 'accept' || $scenario eq 'pipelining') {
		if ($local =~ /^unknown/i) {
			return send_lines("550 5.1.1 <$addr>: Recipient address rejected: User unknown");
		}
		return send_lines('450 4.2.0 greylisted') if $local =~ /^greylist/i;
		return send_lines('250 2.1.5 Ok');
	}
	if ($scenario eq 'reject-multiline') {
		return send_lines('550-5.1.1 The email account that you tried to reach does not exist.',
			'550-5.1.1 Please try double-checking', '550 5.1.1 user unknown');
	}
	return send_lines('451 4.3.0 try later') if $scenario eq 'tempfail451';
	return send_lines('452 4.5.3 Too many recipients') if $scenario eq 'ratelimit452';
	if ($scenario eq 'silent-after-rcpt') {
		$$silent = 1;
		return;
	}
	if ($scenario eq '421-close') {
		send_lines('421 4.7.0 fault.test closing');
		finish('by server');
	}
	if ($scenario eq 'reset-after-rcpt') {
		setsockopt($C, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
		logl($N, 'CLOSE reset by server');
		close $C;
		exit 0;
	}
	return send_lines('250 ' . ('x' x 5000)) if $scenario eq 'long-line';
	send_lines('250 2.1.5 Ok');
}

sub serve {
	my $nconn = 0;
	while (1) {
		my $c = $srv->accept;
		unless ($c) {
			next if $! == EINTR || $! == EAGAIN;
			die "smtp_fault.pl: accept: $!\n";
		}
		$nconn++;
		# SIGCHLD waits until the child is in %kids (a quick child is reaped after)
		my $mask = POSIX::SigSet->new(SIGCHLD);
		sigprocmask(SIG_BLOCK, $mask);
		my $pid = fork;
		$kids{$pid} = 1 if $pid;
		sigprocmask(SIG_UNBLOCK, $mask);
		if (!defined $pid) {
			logl($nconn, "FORK-FAILED $!");
			close $c;
			next;
		}
		if ($pid) {
			close $c;
			next;
		}
		# the child
		$SIG{CHLD} = 'DEFAULT';
		$SIG{INT} = 'DEFAULT';
		close $srv;
		session($c, $nconn);
		exit 0;
	}
}

serve();
