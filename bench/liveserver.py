"""The app as a real server on loopback: a fresh database, demo data, gunicorn, a session cookie.

Shared by the browser tests (tests/browser) and the benchmarks (bench/__main__.py). Everything
runs in subprocesses with the environment a deployment would use (INTRANET_* variables), so what
is measured or clicked is what `gunicorn wsgi:app` serves.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEMO_PASSWORD = "demo-password"  # noqa: S105  (the demo accounts' published password)
DEMO_ROLES = ("admin", "head", "deputy", "tutor", "teacher", "student", "parent")

# Run in a subprocess with the app's environment: the schema from the migrations (or from the
# models when the migrations fail or lag behind them), then `flask demo-data --scale N`, all in
# one interpreter. Prints "schema: <how>" and exits with the demo-data command's status.
_BUILD = """
import sys, traceback
from pathlib import Path
from flask_migrate import upgrade
from intranet import create_app
from intranet.extensions import db

scale = sys.argv[1]
app = create_app()
with app.app_context():
    how = "migrations"
    try:
        upgrade()
    except (Exception, SystemExit) as error:
        how = f"create_all (flask db upgrade failed: {error!r})"
    else:
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        if diffs:
            how = f"create_all (the migrations differ from the models in {len(diffs)} places)"
    if how != "migrations":
        db.session.remove()
        if db.engine.dialect.name != "sqlite":
            sys.exit(f"schema: {how}; only a SQLite database is rebuilt from the models")
        db.engine.dispose()
        path = Path(db.engine.url.database)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        db.create_all()
    print(f"schema: {how}", flush=True)
with app.app_context():  # as the flask command line runs every command
    result = app.test_cli_runner().invoke(args=["demo-data", "--scale", scale])
print(result.output, flush=True)
if result.exception and not isinstance(result.exception, SystemExit):
    traceback.print_exception(result.exception)
sys.exit(result.exit_code)
"""


def demo_email(role: str) -> str:
    return f"{role}@demo.college"


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(
    database_url: str,
    workdir: Path,
    *,
    fast_hashing: bool = True,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The process environment for the app: its own database, keys and directories."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTRANET_")}
    workdir.mkdir(parents=True, exist_ok=True)
    env.update(
        INTRANET_DATABASE_URL=database_url,
        INTRANET_SECRET_KEY=secrets.token_urlsafe(48),
        INTRANET_TOKEN_KEY=secrets.token_urlsafe(48),
        INTRANET_MAIL_DIR=str(workdir / "mail"),
        INTRANET_UPLOAD_DIR=str(workdir / "uploads"),
        INTRANET_RATELIMIT_STORAGE_URI="memory://",
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if fast_hashing:
        # from_prefixed_env parses these as JSON, so they arrive as integers.
        env.update(
            INTRANET_ARGON2_TIME_COST="1",
            INTRANET_ARGON2_MEMORY_COST="8",
            INTRANET_ARGON2_PARALLELISM="1",
        )
    env.update(extra or {})
    return env


def _run(args: list[str], env: Mapping[str, str], log: Path, timeout: float) -> int:
    with log.open("a") as out:
        out.write(f"$ {' '.join(args)}\n")
        out.flush()
        proc = subprocess.run(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout
        )
    return proc.returncode


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def build_database(env: Mapping[str, str], *, scale: int = 1, log: Path, timeout=900) -> str:
    """Create the schema and load the demo college; returns how the schema was built.

    The schema comes from the migrations (`flask db upgrade`). When they fail or lag behind the
    models (new tables not yet migrated), a SQLite database is rebuilt with create_all instead,
    so the server still runs the code under test; the migration test reports the lag itself.
    """
    status = _run([PYTHON, "-c", _BUILD, str(scale)], env, log, timeout)
    found = re.findall(r"^schema: (.*)$", log.read_text(errors="replace"), re.M)
    if status != 0:
        raise RuntimeError(f"building the demo database (scale {scale}) failed:\n{_tail(log)}")
    return found[-1] if found else "?"


@dataclass
class LiveServer:
    """gunicorn serving wsgi:app on a free loopback port until stop()."""

    env: Mapping[str, str]
    log: Path
    workers: int = 2
    threads: int = 1
    port: int = 0
    proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> LiveServer:
        self.port = self.port or free_port()
        args = [
            PYTHON,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
            "--graceful-timeout",
            "5",
        ]
        if self.threads > 1:
            args += ["--worker-class", "gthread", "--threads", str(self.threads)]
        args.append("wsgi:app")
        out = self.log.open("a")
        out.write(f"$ {' '.join(args)}\n")
        out.flush()
        self.proc = subprocess.Popen(
            args, cwd=ROOT, env=dict(self.env), stdout=out, stderr=subprocess.STDOUT
        )
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{_tail(self.log)}")
            try:
                if fetch(self.url, "/-/ping").status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"gunicorn did not answer /-/ping in {timeout:.0f} s:\n{_tail(self.log)}"
        )

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def __enter__(self) -> LiveServer:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def cookies(self) -> dict[str, str]:
        found = {}
        for header in self.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            found[name.strip()] = rest.split(";", 1)[0]
        return found


def fetch(
    base_url: str,
    path: str,
    *,
    method: str = "GET",
    form: Mapping[str, str] | None = None,
    cookies: Mapping[str, str] | None = None,
    timeout: float = 10,
) -> Reply:
    """One HTTP request without following redirects."""
    parts = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    headers = {}
    body = None
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


class _HiddenInputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.values.setdefault(attributes["name"], attributes.get("value") or "")


def login_cookies(base_url: str, login: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    """Sign in through the real login form; returns the cookies of the signed-in session."""
    page = fetch(base_url, "/login")
    cookies = page.cookies()
    parser = _HiddenInputs()
    parser.feed(page.body.decode("utf-8", "replace"))
    form = dict(parser.values, login=login, password=password)
    answer = fetch(base_url, "/login", method="POST", form=form, cookies=cookies)
    if answer.status != 302 or urllib.parse.urlsplit(answer.headers["Location"]).path != "/":
        raise RuntimeError(f"signing in as {login} failed: HTTP {answer.status}")
    cookies.update(answer.cookies())
    return cookies
