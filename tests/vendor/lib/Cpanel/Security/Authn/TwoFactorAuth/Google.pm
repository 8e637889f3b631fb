package Cpanel::Security::Authn::TwoFactorAuth::Google;

# Stand-in for the module of the same name on cPanel servers: RFC 6238 TOTP
# (HMAC-SHA-1, 6 digits, 30 s) from a base32 secret, with core Perl only.

use strict;
use warnings;
use Digest::SHA qw(hmac_sha1);

sub new {
    my ( $class, $args ) = @_;
    return bless { secret => $args->{secret} }, $class;
}

sub _base32_decode {
    my ($text) = @_;
    $text = uc $text;
    $text =~ s/[^A-Z2-7]//g;
    my $bits = join '', map { sprintf '%05b', index( 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', $_ ) } split //, $text;
    $bits = substr( $bits, 0, length($bits) - length($bits) % 8 );
    return pack 'B*', $bits;
}

sub generate_code {
    my ($self) = @_;
    my $counter = int( time() / 30 );
    my $msg     = pack 'NN', int( $counter / 4294967296 ), $counter % 4294967296;
    my $hmac    = hmac_sha1( $msg, _base32_decode( $self->{secret} ) );
    my $offset  = ord( substr $hmac, -1 ) & 0x0f;
    my $value   = unpack( 'N', substr $hmac, $offset, 4 ) & 0x7fffffff;
    return sprintf '%06d', $value % 1000000;
}

1;
