#!/usr/bin/perl
# Writes a MaxMind DB file from `start,end,CC` lines with MaxMind's own writer
# (Debian: libmaxmind-db-writer-perl), so that the tests check Blackout's reader
# against files it did not write itself.
#   perl csv-to-mmdb.pl IN.csv OUT.mmdb [RECORD_SIZE]
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($in, $out, $record_size) = @ARGV;
die "usage: $0 IN.csv OUT.mmdb [24|28|32]\n" unless $in && $out;
my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version              => 6,
    record_size             => $record_size || 28,
    database_type           => 'Blackout-Test-Country',
    languages               => ['en'],
    description             => { en => 'Blackout test fixture' },
    alias_ipv6_to_ipv4      => 1,
    remove_reserved_networks => 0,
    map_key_type_callback   => sub { { country => 'map', iso_code => 'utf8_string', geoname_id => 'uint32' }->{ $_[0] } },
);
open(my $fh, '<', $in) or die "$in: $!\n";
while (my $line = <$fh>) {
    chomp $line;
    my ($start, $end, $cc) = split /,/, $line;
    next unless $cc && $cc ne 'ZZ';
    # Same data for the same country, as in real files: the writer may merge neighbours.
    $tree->insert_range($start, $end, { country => { iso_code => $cc, geoname_id => unpack('n', $cc) } });
}
open(my $outfh, '>:raw', $out) or die "$out: $!\n";
$tree->write_tree($outfh);
close $outfh;
