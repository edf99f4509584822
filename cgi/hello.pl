#!/usr/bin/perl
# Says hello to ?name=... (default "world"): query parsing without modules.
use strict;
use warnings;

sub url_decode {
    my ($s) = @_;
    $s =~ tr/+/ /;
    $s =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge;
    return $s;
}

sub html_escape {
    my ($s) = @_;
    $s =~ s/&/&amp;/g;
    $s =~ s/</&lt;/g;
    $s =~ s/>/&gt;/g;
    $s =~ s/"/&quot;/g;
    $s =~ s/'/&#39;/g;
    return $s;
}

my %query;
for my $pair (split /[&;]/, $ENV{QUERY_STRING} // '') {
    next if $pair eq '';
    my ($key, $value) = split /=/, $pair, 2;
    $query{url_decode($key)} = url_decode($value // '');
}
my $name = html_escape(length($query{name} // '') ? $query{name} : 'world');

binmode STDOUT;
print "Content-Type: text/html; charset=utf-8\r\n\r\n";
print <<"HTML";
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Hello from Perl</title></head>
<body>
<h1>Hello, $name!</h1>
<p>Served by Perl $^V through CGI/1.1.</p>
<form method="get" action=""><label>Name <input name="name" value="$name"></label>
<button>Greet</button></form>
<p><a href="/">Back home</a></p>
</body>
</html>
HTML
