<?php
// Sessions demo (PHP): POST logs out. `X-Session: destroy` asks the server to remove the session
// and expire its cookie (the server strips the header from the response).
require __DIR__ . '/_page.php';

if (($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST') {
    header('X-Session: destroy');
    header('Location: /cgi-bin/login.php', true, 303);
    exit;
}
header('Content-Type: text/html; charset=utf-8');
?>
<?= page_top('Log out') ?>
    <p class="lead">Ends the session of the <a href="/cgi-bin/login.php">sessions demo</a>: the
      server forgets it and expires its cookie.</p>
    <form method="post" action="/cgi-bin/logout.php"><button>Log out</button></form>
<?= page_bottom() ?>
