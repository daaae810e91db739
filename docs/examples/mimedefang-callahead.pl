# docs/examples/mimedefang-callahead.pl: recipient verification (callahead)
# for a MIMEDefang filter, sharing its memcached cache with mailops
# (docs/cache-schema.md). Merge the subs into your mimedefang-filter; the
# filter_recipient below runs only when mimedefang is started with -t.
#
# Loading this file calls nothing of MIMEDefang's and connects to nothing:
#   perl -e 'require "docs/examples/mimedefang-callahead.pl"'
# tests/helpers/ca_cache.pl drives ca_cache_get/ca_cache_put from the shell.
use strict;
use warnings;
use Cache::Memcached;
use Digest::SHA qw(sha1_hex);

# ---- configuration: keep it equal to mailops.conf ----
# [cache] servers, namespace, prefix (and hash = crc, Cache::Memcached's own)
our @servers = ('127.0.0.1:11211');
our $namespace = '';
our $prefix = 'ca:';
# [callahead] TTLs in seconds (0: no expiry, as memcached reads it)
our $valid_ttl = 604800;      # 7 days
our $invalid_ttl = 90000;     # 25 hours
our $accept_all_ttl = 604800; # 7 days
our $refused_ttl = 10800;     # 3 hours
# The probe of filter_recipient: the server that knows the mailboxes.
our $ca_server = '127.0.0.1';
our $ca_port = 25;
our $ca_helo = 'mx.example.org';
our $ca_from = '<>';

# Which states are cached, under which key kind, for how long.
my %CA_STATE = (
	'valid'      => ['r', \$valid_ttl],
	'invalid'    => ['r', \$invalid_ttl],
	'accept-all' => ['d', \$accept_all_ttl],
	'refused'    => ['d', \$refused_ttl],
);

# One client per process (MIMEDefang forks its workers after loading the
# filter): plain strings only, never compressed, no Storable.
my ($ca_memd, $ca_memd_pid);
sub ca_memd {
	if (!$ca_memd || $ca_memd_pid != $$) {
		$ca_memd = Cache::Memcached->new({ servers => [@servers], namespace => $namespace,
			compress_threshold => undef });
		$ca_memd->enable_compress(0);
		$ca_memd_pid = $$;
	}
	return $ca_memd;
}

# The key (without the namespace, which Cache::Memcached adds) of a
# recipient ('r', an address) or a domain fact ('d', a domain).
sub ca_cache_key {
	my ($kind, $s) = @_;
	die "ca_cache_key: kind must be r or d\n" unless $kind eq 'r' || $kind eq 'd';
	utf8::encode($s) if utf8::is_utf8($s);
	$s =~ tr/A-Z/a-z/;
	$s =~ s/([\x00-\x20\x7f%])/sprintf('%%%02X', ord $1)/ge;
	my $key = "$prefix$kind:$s";
	my $ns = $namespace;
	utf8::encode($ns) if utf8::is_utf8($ns);
	return length($ns) + length($key) > 250 ? "${prefix}h:" . sha1_hex($key) : $key;
}

# "<User@Example.org>" -> ("User@Example.org", "Example.org")
sub ca_split {
	my ($addr) = @_;
	$addr =~ s/\A<(.*)>\z/$1/s;
	my $dom = $addr =~ /\@([^\@]+)\z/ ? $1 : undef;
	return ($addr, $dom);
}

# (state, code, dsn, time, host, text) from the recipient's entry, else from
# its domain's; an empty list when neither is cached. "-" reads as "".
sub ca_cache_get {
	my ($memd, $addr) = @_;
	my ($a, $dom) = ca_split($addr);
	my @want = ([ca_cache_key('r', $a), 'valid', 'invalid']);
	push @want, [ca_cache_key('d', $dom), 'accept-all', 'refused'] if defined $dom;
	my $got = $memd->get_multi(map { $_->[0] } @want) || {};
	for my $w (@want) {
		my ($key, @states) = @$w;
		my $v = $got->{$key};
		next if !defined $v || ref $v;
		$v =~ s/[\r\n]+\z//;
		my @f = $v =~ /\A *(\S+) +(\S+) +(\S+) +(\d+) +(\S+)(?: +(.*))?\z/s or next;
		next unless grep { $_ eq $f[0] } @states;
		next unless $f[1] =~ /\A(?:[2-5]\d\d|-)\z/;
		$f[5] = '-' unless defined $f[5] && length $f[5];
		return map { $_ eq '-' ? '' : $_ } @f;
	}
	return;
}

# Stores an answer: valid/invalid under the recipient, accept-all/refused
# under its domain. Any other state (tempfail, rate-limited, sender-refused,
# tls-required, error) is never written, so it never overwrites an entry.
# Returns the key written, '' when the state is not cached, undef when
# memcached did not store it.
sub ca_cache_put {
	my ($memd, $addr, $state, $code, $dsn, $host, $text) = @_;
	my $how = $CA_STATE{$state // ''} or return '';
	my ($kind, $ttl) = ($how->[0], ${ $how->[1] });
	my ($a, $dom) = ca_split($addr);
	my $s = $kind eq 'r' ? $a : $dom;
	return '' unless defined $s && length $s;
	my $now = time;
	$code = '' unless defined $code && $code =~ /\A[2-5]\d\d\z/;
	$dsn = '' unless defined $dsn && $dsn =~ /\A[245]\.\d{1,3}\.\d{1,3}\z/;
	$host //= '';
	$host =~ s/[\x00-\x20\x7f]/_/g;
	# one line: CR, LF and TAB become a space, other controls \xNN
	$text //= '';
	utf8::encode($text) if utf8::is_utf8($text);
	$text =~ s/[\r\n\t]/ /g;
	$text =~ s/([\x00-\x1f\x7f])/sprintf('\\x%02x', ord $1)/ge;
	my $v = join(' ', $state, map { length $_ ? $_ : '-' } $code, $dsn, $now, $host, $text);
	my $key = ca_cache_key($kind, $s);
	# memcached reads an exptime over 30 days as an absolute unix time
	my $exp = $ttl <= 0 ? 0 : $ttl > 2592000 ? $now + $ttl : $ttl;
	return $memd->set($key, $v, $exp) ? $key : undef;
}

# ---- the filter: cache first, probe on a miss, store the answer ----
# md_check_against_smtp_server returns (result, msg, code, dsn), result
# CONTINUE, REJECT or TEMPFAIL. It does not say which command was refused,
# so a REJECT is cached as invalid only when it is about the address (a
# 5.1.x DSN, or 550/551/553 without one); any other refusal (banner, EHLO,
# MAIL) is left to the MTA and not cached.
sub filter_recipient {
	my ($recipient, $sender, $ip, $hostname, $first, $helo, $rcpt_mailer, $rcpt_host, $rcpt_addr) = @_;
	my $memd = ca_memd();
	my ($state, $code, $dsn, $when, $host, $text) = ca_cache_get($memd, $recipient);
	if (defined $state) {
		return ('REJECT', $text || 'User unknown', $code || 550, $dsn || '5.1.1') if $state eq 'invalid';
		# valid; accept-all (any local part is valid); refused (no probing:
		# accept and let the MTA decide)
		return ('CONTINUE', 'ok');
	}
	my ($result, $msg, $rcode, $rdsn) = md_check_against_smtp_server($ca_from, $recipient, $ca_helo, $ca_server,
		$ca_port);
	$result //= 'TEMPFAIL';
	if ($result eq 'CONTINUE') {
		ca_cache_put($memd, $recipient, 'valid', $rcode, $rdsn, $ca_server, $msg);
		return ('CONTINUE', 'ok');
	}
	if ($result eq 'REJECT') {
		$rcode //= '';
		$rdsn //= '';
		if ($rdsn =~ /\A5\.1\.\d+\z/ || ($rdsn eq '' && $rcode =~ /\A55[013]\z/)) {
			ca_cache_put($memd, $recipient, 'invalid', $rcode, $rdsn, $ca_server, $msg);
			return ('REJECT', $msg, $rcode, $rdsn || '5.1.1');
		}
		return ('CONTINUE', 'ok');
	}
	# TEMPFAIL: nothing is cached (an entry already there stays).
	return ('TEMPFAIL', $msg // 'verification failed', 451, '4.3.0');
}

1;
