"""The app as a real server on loopback: a fresh database, demo data, gunicorn, a session cookie.

Shared by the browser tests (tests/browser) and the benchmarks (bench/__main__.py). Everything
runs in subprocesses with the environment a deployment would use (INTRANET_* variables), so what
is measured or clicked is what `gunicorn wsgi:app` serves.
"""

from __future__ import annotations

import http.client
import os
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

# Checks whether the migrated schema matches the models; prints the number of differences.
_SCHEMA_DIFF = """
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from intranet import create_app
from intranet.extensions import db
app = create_app()
with app.app_context(), db.engine.connect() as conn:
    print(len(compare_metadata(MigrationContext.configure(conn), db.metadata)))
"""
_CREATE_ALL = """
from intranet import create_app
from intranet.extensions import db
app = create_app()
with app.app_context():
    db.create_all()
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


def _flask(*args: str) -> list[str]:
    return [PYTHON, "-m", "flask", "--app", "wsgi", *args]


def _remove_sqlite(url: str) -> None:
    if not url.startswith("sqlite:///"):
        return
    path = Path(url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def build_database(env: Mapping[str, str], *, scale: int = 1, log: Path, timeout=900) -> str:
    """Create the schema and load the demo college; returns how the schema was built.

    The schema comes from the migrations (`flask db upgrade`). When they fail or lag behind the
    models (new tables not yet migrated), the database is rebuilt with create_all instead, so
    the servers still run the code under test; the migration test reports the lag itself.
    """
    url = env["INTRANET_DATABASE_URL"]
    how = "migrations"
    if _run(_flask("db", "upgrade"), env, log, 300) != 0:
        how = "create_all (flask db upgrade failed)"
    else:
        out = subprocess.run(
            [PYTHON, "-c", _SCHEMA_DIFF], cwd=ROOT, env=env, capture_output=True, text=True
        )
        diffs = out.stdout.strip().splitlines()[-1:] if out.returncode == 0 else []
        if diffs != ["0"]:
            how = f"create_all (migrations differ from the models: {diffs or out.stderr[-200:]})"
    if how != "migrations":
        _remove_sqlite(url)
        if _run([PYTHON, "-c", _CREATE_ALL], env, log, 300) != 0:
            raise RuntimeError(f"could not create the schema:\n{_tail(log)}")
    with log.open("a") as out:
        out.write(f"schema: {how}\n")
    if _run(_flask("demo-data", "--scale", str(scale)), env, log, timeout) != 0:
        raise RuntimeError(f"flask demo-data --scale {scale} failed:\n{_tail(log)}")
    return how


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
