<?php
header('Content-Type: text/plain');
header('X-Lang: php');
setcookie('a', '1');
setcookie('b', '2');
echo 'hello from php ', $_GET['name'] ?? '', ' ', $_SERVER['REDIRECT_STATUS'] ?? '', "\n";
