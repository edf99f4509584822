<?php
// Echoes $_GET and $_POST, and the name and size of an uploaded file.
require __DIR__ . '/_page.php';

header('Content-Type: text/html; charset=utf-8');

function rows(array $values): string
{
    $out = '';
    foreach ($values as $key => $value) {
        $text = is_array($value) ? implode(', ', array_map('strval', $value)) : (string)$value;
        $out .= '      <tr><th>' . e((string)$key) . '</th><td>' . e($text) . "</td></tr>\n";
    }
    return $out;
}
?>
<?= page_top('Form echo (PHP)', 'A form handled by php-cgi: GET and POST fields echoed back.') ?>
    <p class="lead">What <code>php-cgi</code> made of this request: <code>$_GET</code>,
      <code>$_POST</code> and <code>$_FILES</code>.</p>
    <p>Method: <?= e($_SERVER['REQUEST_METHOD'] ?? 'GET') ?></p>
<?php if ($_GET): ?>
    <h2>$_GET</h2>
    <table class="data-table">
<?= rows($_GET) ?>
    </table>
<?php endif; ?>
<?php if ($_POST): ?>
    <h2>$_POST</h2>
    <table class="data-table">
<?= rows($_POST) ?>
    </table>
<?php endif; ?>
<?php foreach ($_FILES as $field => $file): ?>
    <h2>File "<?= e((string)$field) ?>"</h2>
<?php if (($file['error'] ?? UPLOAD_ERR_NO_FILE) === UPLOAD_ERR_OK): ?>
    <p>Name: <?= e((string)$file['name']) ?>, size: <?= (int)$file['size'] ?> bytes</p>
<?php else: ?>
    <p class="status error">Upload failed (error <?= (int)($file['error'] ?? -1) ?>)</p>
<?php endif; ?>
<?php endforeach; ?>
    <h2>Try it</h2>
    <form class="panel" method="get" action="">
      <label for="q">A query string (GET)</label>
      <div class="field-row">
        <input id="q" name="q" placeholder="GET value">
        <button>GET</button>
      </div>
    </form>
    <form class="panel" method="post" action="">
      <label for="a">An urlencoded body (POST)</label>
      <div class="field-row">
        <input id="a" name="a" placeholder="urlencoded">
        <button>POST</button>
      </div>
    </form>
    <form class="panel" method="post" action="" enctype="multipart/form-data">
      <label for="note">A multipart body with a file (POST)</label>
      <div class="field-row">
        <input id="note" name="note" placeholder="multipart">
        <input type="file" name="file" aria-label="File">
        <button>Upload</button>
      </div>
    </form>
<?= page_bottom() ?>
