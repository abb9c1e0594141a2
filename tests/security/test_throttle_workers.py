"""Sign-in throttling against a real gunicorn with 4 worker processes (bench/liveserver.py).

Wrong passwords for one account are sent one after another, each on a new connection, so
gunicorn hands them to whichever worker accepts first; its access log records the worker's
process id for each request. With Redis storage (a key prefix of the test's own) the account
limit holds across the workers: exactly LIMIT wrong passwords are answered as such, every later
attempt, the right password included, is refused. The control, memory storage on the same
server set-up, lets more than LIMIT through, because each worker counts alone. Wrong
two-factor codes after a right password are counted the same way: five, then the step ends.

A second test checks on the same kind of server that a GET records the session's last use in
a short transaction of its own (the controlled-clock tests can only show the POST path).
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest

from bench.liveserver import PYTHON, LiveServer, _HiddenInputs, _run, app_env, fetch
from tests.security.test_throttle_redis import REDIS_URL

pytestmark = pytest.mark.slow

WORKERS = 4
LIMIT = 10
ATTEMPTS = 4 * LIMIT
PASSWORD = "correct horse battery"
WRONG = "Неверный адрес почты, телефон или пароль"
THROTTLED = "Слишком много неудачных попыток"

_SCHEMA = """
import sys
from intranet import create_app
from intranet.extensions import db
from tests import factories
app = create_app()
with app.app_context():
    db.create_all()
    password, emails = sys.argv[1], sys.argv[2:]
    for email in emails:
        factories.password_user("student", email=email, password=password)
    from intranet.models.base import utcnow
    from intranet.services import signin
    person = factories.password_user("student", email="second@example.test", password=password)
    signin.start(person).enabled_at = utcnow()  # two-factor sign-in on (no code needed here)
    db.session.commit()
"""


@pytest.fixture(scope="module")
def redis_prefix():
    redis = pytest.importorskip("redis")
    if not REDIS_URL.startswith(("redis://", "rediss://")):
        pytest.skip(f"the rate-limit storage {REDIS_URL!r} is not Redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")
    prefix = f"intranet-test-workers-{secrets.token_hex(6)}"
    yield prefix
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


def serve(workdir: Path, storage: str, *, prefix: str = "", touch: int = 60) -> LiveServer:
    """A fresh SQLite database with two accounts, served by gunicorn with 4 workers."""
    workdir.mkdir(parents=True, exist_ok=True)
    database = f"sqlite:///{workdir / 'intranet.sqlite3'}"
    access = workdir / "access.log"
    extra = {
        "INTRANET_RATELIMIT_STORAGE_URI": storage,
        "INTRANET_LOGIN_FAILURES_PER_ACCOUNT": f"{LIMIT} per 15 minutes",
        "INTRANET_SESSION_TOUCH_SECONDS": str(touch),
        # gunicorn reads these as if given on its command line: %(p)s is the worker's pid.
        "GUNICORN_CMD_ARGS": f"--access-logfile {access} --access-logformat '%(p)s %(m)s %(U)s %(s)s'",
    }
    if prefix:
        extra["INTRANET_RATELIMIT_STORAGE_OPTIONS"] = f'{{"key_prefix": "{prefix}"}}'
    env = app_env(database, workdir, extra=extra)
    log = workdir / "server.log"
    status = _run(
        [PYTHON, "-c", _SCHEMA, PASSWORD, "target@example.test", "other@example.test"],
        env,
        log,
        300,
    )
    assert status == 0, log.read_text()
    return LiveServer(env=env, log=log, workers=WORKERS).start()


def login_form(base_url: str) -> tuple[dict[str, str], dict[str, str]]:
    page = fetch(base_url, "/login")
    parser = _HiddenInputs()
    parser.feed(page.body.decode("utf-8", "replace"))
    return parser.values, page.cookies()


def attempt(base_url: str, password: str, login: str = "target@example.test") -> str:
    hidden, cookies = login_form(base_url)
    answer = fetch(
        base_url,
        "/login",
        method="POST",
        form=dict(hidden, login=login, password=password),
        cookies=cookies,
    )
    if answer.status == 302:
        return "signed in"
    text = answer.body.decode("utf-8", "replace")
    assert answer.status == 200, answer.status
    if THROTTLED in text:
        return "throttled"
    assert WRONG in text
    return "wrong"


def workers_that_answered(workdir: Path, path: str = "/login") -> Counter:
    access = workdir / "access.log"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not access.exists():
        time.sleep(0.1)
    pids = Counter()
    for line in access.read_text().splitlines():
        pid, method, url, _status = line.split()
        if method == "POST" and url == path:
            pids[pid] += 1
    return pids


def hammer(server: LiveServer) -> Counter:
    return Counter(attempt(server.url, "wrong password") for _ in range(ATTEMPTS))


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory, redis_prefix):
    """One server for the module: Redis storage, and every request records its use."""
    workdir = tmp_path_factory.mktemp("throttle-redis")
    with serve(workdir, REDIS_URL, prefix=redis_prefix, touch=0) as server:
        yield server, workdir


def test_the_account_limit_holds_across_four_workers_with_redis(redis_server):
    server, workdir = redis_server
    outcomes = hammer(server)
    right_password = [attempt(server.url, PASSWORD) for _ in range(WORKERS)]
    other_account = attempt(server.url, PASSWORD, login="other@example.test")
    pids = workers_that_answered(workdir)
    print(f"redis: {dict(outcomes)} over workers {dict(pids)}")
    assert len(pids) >= 2, f"the attempts reached one worker only: {pids}"
    assert outcomes == Counter(wrong=LIMIT, throttled=ATTEMPTS - LIMIT), (outcomes, pids)
    assert right_password == ["throttled"] * WORKERS, "the right password is refused too"
    assert other_account == "signed in", "only the attacked account is throttled"


def test_control_memory_storage_counts_per_worker(tmp_path):
    with serve(tmp_path / "memory", "memory://") as server:
        outcomes = hammer(server)
    pids = workers_that_answered(tmp_path / "memory")
    print(f"memory: {dict(outcomes)} over workers {dict(pids)}")
    assert len(pids) >= 2, f"the attempts reached one worker only: {pids}"
    assert outcomes["wrong"] > LIMIT, (outcomes, pids)
    assert outcomes["wrong"] <= LIMIT * len(pids)


def test_a_get_records_the_last_use_in_a_transaction_of_its_own(redis_server):
    server, workdir = redis_server
    hidden, cookies = login_form(server.url)
    answer = fetch(
        server.url,
        "/login",
        method="POST",
        form=dict(hidden, login="other@example.test", password=PASSWORD),
        cookies=cookies,
    )
    assert answer.status == 302
    cookies.update(answer.cookies())

    def last_seen() -> str:
        with sqlite3.connect(workdir / "intranet.sqlite3") as conn:
            return conn.execute("SELECT max(last_seen_at) FROM login_session").fetchone()[0]

    signed_in = last_seen()
    time.sleep(1.1)
    assert fetch(server.url, "/profile", cookies=cookies).status == 200
    assert last_seen() > signed_in


def wrong_code(base_url: str) -> str:
    """The right password for the account with two-factor sign-in on, then a wrong code."""
    hidden, cookies = login_form(base_url)
    form = dict(hidden, login="second@example.test", password=PASSWORD)
    first = fetch(base_url, "/login", method="POST", form=form, cookies=cookies)
    cookies.update(first.cookies())
    if not first.headers.get("Location", "").endswith("/login/code"):
        return f"password step answered {first.status} {first.headers.get('Location')}"
    page = fetch(base_url, "/login/code", cookies=cookies)  # a new session: a new CSRF token
    cookies.update(page.cookies())
    parser = _HiddenInputs()
    parser.feed(page.body.decode("utf-8", "replace"))
    answer = fetch(
        base_url,
        "/login/code",
        method="POST",
        form=dict(parser.values, code="000000"),
        cookies=cookies,
    )
    if answer.status == 302 and answer.headers["Location"].endswith("/login"):
        return "throttled"
    assert answer.status == 200, answer.status
    assert "Неверный код" in answer.body.decode("utf-8", "replace")
    return "wrong"


def test_wrong_codes_are_counted_across_the_workers_too(redis_server):
    server, workdir = redis_server
    limit = 5  # TWO_FACTOR_FAILURES_PER_ACCOUNT's default
    outcomes = Counter(wrong_code(server.url) for _ in range(3 * limit))
    pids = workers_that_answered(workdir, "/login/code")
    print(f"codes: {dict(outcomes)} over workers {dict(pids)}")
    assert len(pids) >= 2, f"the codes reached one worker only: {pids}"
    assert outcomes == Counter(wrong=limit, throttled=2 * limit), (outcomes, pids)
