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
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Hello from Perl · webserv</title>
  <meta name="description" content="A Perl CGI script that reads its query string.">
  <meta name="color-scheme" content="light dark">
  <link rel="icon" href="/favicon.svg" type="image/svg+xml">
  <link rel="icon" href="/favicon.ico" sizes="32x32">
  <link rel="stylesheet" href="/css/site.css">
</head>
<body>
  <a class="skip-link" href="#main">Skip to content</a>
  <header class="site-header">
    <div class="wrap">
      <a class="brand" href="/"><img src="/favicon.svg" alt="" width="28" height="28"> webserv</a>
      <nav class="site-nav" aria-label="Main">
        <ul>
          <li><a href="/">Home</a></li>
          <li><a href="/gallery.html">Gallery</a></li>
          <li><a href="/video.html">Video</a></li>
          <li><a href="/upload.html">Upload</a></li>
          <li><a href="/files/">Files</a></li>
        </ul>
      </nav>
    </div>
  </header>
  <main id="main" class="wrap">
    <h1>Hello, $name!</h1>
    <p class="lead">Served by Perl $^V through CGI/1.1.</p>
    <form class="panel" method="get" action="">
      <label for="name">Name</label>
      <div class="field-row">
        <input id="name" name="name" value="$name">
        <button>Greet</button>
      </div>
    </form>
    <p><a href="/">Back home</a></p>
  </main>
  <footer class="site-footer">
    <div class="wrap">
      Served by <strong>webserv</strong>, an HTTP/1.1 server written in TypeScript on Deno.
      <a href="/">Home</a>
    </div>
  </footer>
</body>
</html>
HTML
