<?php
// Sessions demo (PHP): a login form, then a greeting that counts your visits.
//
// The server (`session on;`) passes SESSION_ID and SESSION_FILE, a JSON file with the session's
// data. This script reads it, changes the data, and writes it back atomically (a temporary file
// in the same directory, renamed over it); the server stores it once the script has exited.
// Demo account: demo / demo. The session is the same one the Python page uses.
require __DIR__ . '/_page.php';

function load_session(): array
{
    $data = json_decode((string)file_get_contents(getenv('SESSION_FILE')), true);
    return is_array($data) ? $data : [];
}

function save_session(array $data): void
{
    $path = getenv('SESSION_FILE');
    $tmp = tempnam(dirname($path), 'tmp');
    // (object): an empty array must still be written as {} (a JSON object), not [].
    file_put_contents($tmp, json_encode((object)$data));
    rename($tmp, $path);
}

function credentials_ok(string $user, string $password): bool
{
    // Digests compared in constant time; both checks run whatever the first gives.
    $userOk = hash_equals(hash('sha256', 'demo'), hash('sha256', $user));
    $passwordOk = hash_equals(hash('sha256', 'demo'), hash('sha256', $password));
    return $userOk & $passwordOk;
}

$session = load_session();
$error = '';
if (($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST') {
    if (credentials_ok((string)($_POST['user'] ?? ''), (string)($_POST['password'] ?? ''))) {
        $session['user'] = 'demo';
        $session['visits'] = 0;
        save_session($session);
        // A new id after a login: an id planted before it is worth nothing (session fixation).
        header('X-Session: regenerate');
        header('Location: /cgi-bin/login.php', true, 303);
        exit;
    }
    $error = '    <p class="status error">Wrong user name or password.</p>' . "\n";
}
header('Content-Type: text/html; charset=utf-8');
header('Cache-Control: no-store');
if (isset($session['user'])) {
    $session['visits'] = (int)($session['visits'] ?? 0) + 1;
    save_session($session);
}
?>
<?= page_top('Sessions demo (PHP)', 'Log in and stay logged in: a session kept by webserv.') ?>
    <p class="lead">The server keeps a session for this browser in a cookie; the script keeps
      what it wants in the session's data.</p>
<?php if (isset($session['user'])): ?>
    <div class="panel">
      <p id="greeting">Hello, <strong><?= e((string)$session['user']) ?></strong>!</p>
      <p>Visits while logged in: <strong id="visits"><?= (int)$session['visits'] ?></strong>
        (reload to count; <a href="/cgi-bin/login.py">the Python page</a> shares the session).</p>
      <form method="post" action="/cgi-bin/logout.php"><button>Log out</button></form>
    </div>
<?php else: ?>
<?= $error ?>
    <form method="post" action="/cgi-bin/login.php" class="panel stacked-form">
      <label for="user">User</label>
      <input id="user" name="user" autocomplete="username">
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password">
      <div class="actions">
        <button>Log in</button>
        <span class="hint">Demo account: <code>demo</code> / <code>demo</code></span>
      </div>
    </form>
<?php endif; ?>
<?= page_bottom() ?>
