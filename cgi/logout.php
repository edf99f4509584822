<?php
// Sessions demo (PHP): POST logs out. `X-Session: destroy` asks the server to remove the session
// and expire its cookie (the server strips the header from the response).
if (($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST') {
    header('X-Session: destroy');
    header('Location: /cgi-bin/login.php', true, 303);
    exit;
}
header('Content-Type: text/html; charset=utf-8');
?>
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Log out</title></head>
<body><form method="post" action="/cgi-bin/logout.php"><button>Log out</button></form></body>
</html>
