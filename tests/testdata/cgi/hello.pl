print "Content-Type: text/plain\nX-Lang: perl\n\n";
print "hello from perl $ENV{QUERY_STRING}\n";
