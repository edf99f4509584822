#!/usr/bin/env python3
"""Sessions demo (Python): a login form, then a greeting that counts your visits.

The server (`session on;`) passes SESSION_ID and SESSION_FILE, a JSON file with the session's data.
This script reads the file, changes the data, and writes it back atomically (a temporary file in
the same directory, renamed over it); the server stores it once the script has exited.
Demo account: demo / demo.
"""
import hashlib
import hmac
import html
import json
import os
import sys
import tempfile
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the served directory
import _page  # noqa: E402 (the layout, after the line above)

DEMO_USER_DIGEST = hashlib.sha256(b"demo").digest()
DEMO_PASSWORD_DIGEST = hashlib.sha256(b"demo").digest()


def load_session():
    with open(os.environ["SESSION_FILE"], encoding="utf-8") as f:
        return json.load(f)


def save_session(data):
    path = os.environ["SESSION_FILE"]
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f)
    os.replace(tmp, path)


def credentials_ok(user, password):
    """Compares digests in constant time; both are checked whatever the first gives."""
    user_ok = hmac.compare_digest(hashlib.sha256(user.encode()).digest(), DEMO_USER_DIGEST)
    password_ok = hmac.compare_digest(
        hashlib.sha256(password.encode()).digest(), DEMO_PASSWORD_DIGEST
    )
    return user_ok & password_ok


def read_form():
    length = int(os.environ.get("CONTENT_LENGTH") or 0)
    body = sys.stdin.buffer.read(min(length, 64 * 1024)).decode("utf-8", "replace")
    return dict(urllib.parse.parse_qsl(body, keep_blank_values=True))


session = load_session()

if os.environ.get("REQUEST_METHOD") == "POST":
    form = read_form()
    if credentials_ok(form.get("user", ""), form.get("password", "")):
        session["user"] = "demo"
        session["visits"] = 0
        save_session(session)
        # A new id after a login: an id planted before it is worth nothing (session fixation).
        _page.send([("X-Session", "regenerate"), ("Status", "303 See Other"),
                    ("Location", "/cgi-bin/login.py")])
        sys.exit(0)
    error = '    <p class="status error">Wrong user name or password.</p>\n'
else:
    error = ""

if "user" in session:
    session["visits"] = int(session.get("visits", 0)) + 1
    save_session(session)
    user = html.escape(str(session["user"]))
    visits = session["visits"]
    content = f"""    <div class="panel">
      <p id="greeting">Hello, <strong>{user}</strong>!</p>
      <p>Visits while logged in: <strong id="visits">{visits}</strong>
        (reload to count; <a href="/cgi-bin/login.php">the PHP page</a> shares the session).</p>
      <form method="post" action="/cgi-bin/logout.py"><button>Log out</button></form>
    </div>
"""
else:
    content = error + (
        """    <form method="post" action="/cgi-bin/login.py" class="panel stacked-form">
      <label for="user">User</label>
      <input id="user" name="user" autocomplete="username">
      <label for="password">Password</label>
      <input id="password" name="password" type="password"
        autocomplete="current-password">
      <div class="actions">
        <button>Log in</button>
        <span class="hint">Demo account: <code>demo</code> / <code>demo</code></span>
      </div>
    </form>
"""
    )

lead = """\
    <p class="lead">The server keeps a session for this browser in a cookie; the script keeps
      what it wants in the session's data.</p>
"""
_page.send(
    [_page.HTML, ("Cache-Control", "no-store")],
    _page.page(
        "Sessions demo (Python)",
        lead + content + "\n",
        "Log in and stay logged in: a session kept by webserv.",
    ),
)
