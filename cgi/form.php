<?php
// Echoes $_GET and $_POST, and the name and size of an uploaded file.
header('Content-Type: text/html; charset=utf-8');

function e(string $s): string
{
    return htmlspecialchars($s, ENT_QUOTES | ENT_HTML5, 'UTF-8');
}

function rows(array $values): string
{
    $out = '';
    foreach ($values as $key => $value) {
        $text = is_array($value) ? implode(', ', array_map('strval', $value)) : (string)$value;
        $out .= '<tr><th>' . e((string)$key) . '</th><td>' . e($text) . "</td></tr>\n";
    }
    return $out;
}
?>
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Form echo (PHP)</title></head>
<body>
<h1>Form echo (PHP)</h1>
<p>Method: <?= e($_SERVER['REQUEST_METHOD'] ?? 'GET') ?></p>
<?php if ($_GET): ?><h2>$_GET</h2><table><?= rows($_GET) ?></table><?php endif; ?>
<?php if ($_POST): ?><h2>$_POST</h2><table><?= rows($_POST) ?></table><?php endif; ?>
<?php foreach ($_FILES as $field => $file): ?>
<h2>File "<?= e((string)$field) ?>"</h2>
<?php if (($file['error'] ?? UPLOAD_ERR_NO_FILE) === UPLOAD_ERR_OK): ?>
<p>Name: <?= e((string)$file['name']) ?>, size: <?= (int)$file['size'] ?> bytes</p>
<?php else: ?>
<p>Upload failed (error <?= (int)($file['error'] ?? -1) ?>)</p>
<?php endif; ?>
<?php endforeach; ?>
<h2>Try it</h2>
<form method="get" action=""><input name="q" placeholder="GET value"> <button>GET</button></form>
<form method="post" action=""><input name="a" placeholder="urlencoded"> <button>POST</button></form>
<form method="post" action="" enctype="multipart/form-data">
<input name="note" placeholder="multipart"> <input type="file" name="file"> <button>Upload</button>
</form>
<p><a href="/">Back home</a></p>
</body>
</html>
