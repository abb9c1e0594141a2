"""Fixtures for mail: a real SMTP server on loopback (aiosmtpd), databases with committed
data in a file of their own, and the worker run as a real subprocess."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from intranet import create_app
from intranet.extensions import db
from tests.conftest import PG_URL, make_test_config

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))
WORKER_ENV = {
    "INTRANET_ENV": "testing",
    "INTRANET_SECRET_KEY": "test-secret-key-" + "x" * 32,
    "INTRANET_TOKEN_KEY": "test-token-key-" + "y" * 32,
    "INTRANET_MAIL_TIMEOUT": "5",
    "INTRANET_MAIL_RETRY_BASE_SECONDS": "0.2",
    "INTRANET_MAIL_RETRY_MAX_SECONDS": "0.5",
    "INTRANET_MAIL_LEASE_SECONDS": "2",
    "INTRANET_MAIL_POLL_SECONDS": "0.05",
    "INTRANET_MAIL_MAX_ATTEMPTS": "5",
    "INTRANET_RATELIMIT_ENABLED": "false",
}


# --- the SMTP server ------------------------------------------------------------------------


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes
    at: float

    @property
    def message(self):
        return message_from_bytes(self.data, policy=email_policy.default)

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps what it accepts, with replies scripted per address."""

    messages: list[Received] = field(default_factory=list)
    always: dict[str, str] = field(default_factory=dict)  # RCPT address → reply, every time
    rcpt_first: dict[str, list[str]] = field(default_factory=dict)  # replies before a 250
    data_first: dict[str, list[str]] = field(default_factory=dict)  # DATA replies before a 250
    hold_at: int | None = None  # the n-th accepted message is kept waiting before its 250
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    connections: int = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self.lock:
            self.connections += 1
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            if address in self.always:
                return self.always[address]
            queue = self.rcpt_first.get(address)
            if queue:
                return queue.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                queue = self.data_first.get(rcpt)
                if queue:
                    return queue.pop(0)
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, time.time())
            )
            hold = self.hold_at is not None and len(self.messages) == self.hold_at
        if hold:
            # The server has the message (as a real MTA that queued it), but the client gets
            # no reply until the test says so: a kill now is a crash between the two.
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        return "250 2.0.0 Accepted"

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.always.clear()
            self.rcpt_first.clear()
            self.data_first.clear()
            self.hold_at = None
            self.connections = 0
            self.held.clear()
            self.release.clear()

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def ids(self) -> list[str]:
        with self.lock:
            return [m.message_id for m in self.messages]


class SMTPServer:
    """An aiosmtpd server on a fixed loopback port that can be stopped and started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.recorder = Recorder()
        self.controller: Controller | None = None

    def start(self) -> None:
        if self.controller is None:
            self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
            self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server) -> Iterator[SMTPServer]:
    """The running SMTP server, with nothing received and no scripted replies."""
    smtp_server.start()
    smtp_server.recorder.reset()
    yield smtp_server
    smtp_server.recorder.release.set()
    smtp_server.start()


# --- databases with committed data ----------------------------------------------------------


@dataclass
class MailDB:
    """An app on a database of its own, so a worker subprocess sees what the test commits."""

    app: object
    url: str
    instance: Path

    @property
    def mail_dir(self) -> Path:
        return self.instance / "mail"

    def context(self):
        return self.app.app_context()


def _file_db(instance: Path) -> MailDB:
    url = f"sqlite:///{instance / 'mail.sqlite3'}"
    app = create_app(make_test_config(url, instance))
    with app.app_context():
        db.create_all()
    return MailDB(app, url, instance)


@pytest.fixture
def mail_db(tmp_path) -> Iterator[MailDB]:
    store = _file_db(tmp_path)
    yield store
    with store.context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def pg_mail_db(tmp_path) -> Iterator[MailDB]:
    """A PostgreSQL database of its own (intranet_outbox_test), emptied for each test."""
    if not PG_URL:
        pytest.skip("INTRANET_TEST_DATABASE_URL is not set")
    import psycopg

    base, _, _name = PG_URL.rpartition("/")
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = 'intranet_outbox_test'"
        ).fetchone()
        if not found:
            conn.execute("CREATE DATABASE intranet_outbox_test")
    url = f"{base}/intranet_outbox_test"
    app = create_app(make_test_config(url, tmp_path))
    with app.app_context():
        db.drop_all()
        db.create_all()
    store = MailDB(app, url, tmp_path)
    yield store
    with store.context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


# --- the worker as a subprocess -------------------------------------------------------------


class WorkerProcess:
    def __init__(self, proc: subprocess.Popen, log: Path) -> None:
        self.proc = proc
        self.log = log

    def wait(self, timeout: float = 40) -> str:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            message = f"worker did not finish in {timeout} s:\n{self.output()}"
            raise AssertionError(message) from None
        return self.output()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self, sig: int) -> None:
        self.proc.send_signal(sig)


@pytest.fixture
def start_worker(tmp_path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start `flask --app wsgi worker` on a MailDB (and an SMTP port, or files)."""
    started: list[WorkerProcess] = []

    def start(store: MailDB, *args: str, smtp_port: int | None = None, **env: str):
        variables = {k: v for k, v in os.environ.items() if not k.startswith("INTRANET_")}
        variables.update(WORKER_ENV)
        variables.update(
            INTRANET_DATABASE_URL=store.url,
            INTRANET_MAIL_SERVER="127.0.0.1" if smtp_port else "",
            INTRANET_MAIL_PORT=str(smtp_port or 25),
            INTRANET_MAIL_DIR=str(store.mail_dir),
        )
        variables.update(env)
        log = tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [FLASK, "--app", "wsgi", "worker", *args],
                cwd=ROOT,
                env=variables,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        worker = WorkerProcess(proc, log)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.proc.poll() is None:
            worker.proc.kill()
            worker.proc.wait()


def wait_for(condition: Callable[[], bool], timeout: float = 20, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def login_mail_admin():
    """A test client of a MailDB's app, signed in as a new platform administrator."""
    from tests import factories
    from tests.conftest import CSRFClient

    def login(store: MailDB):
        with store.context():
            admin = factories.user("admin")
            sid = factories.login_session(admin)
            user_id = admin.get_id()
        store.app.test_client_class = CSRFClient
        client = store.app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user_id
            session["_fresh"] = True
            session["sid"] = sid
        return client

    return login
