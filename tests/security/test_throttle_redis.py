"""Sign-in throttling across worker processes: with Redis storage the per-account failure
limit holds when the attempts are spread over two app instances (two gunicorn workers);
with memory storage each instance counts alone, which is why production needs Redis.
"""

from __future__ import annotations

import os
import secrets

import pytest

from intranet.services import throttle
from tests.security.support import extra_app

REDIS_URL = (
    os.environ.get("INTRANET_RATELIMIT_STORAGE_URI")
    or os.environ.get("RATELIMIT_STORAGE_URI")
    or "redis://127.0.0.1:6379/15"
)
PASSWORD = "correct horse battery"
THROTTLED = "Слишком много неудачных попыток"


@pytest.fixture
def redis_db():
    redis = pytest.importorskip("redis")
    if not REDIS_URL.startswith(("redis://", "rediss://")):
        pytest.skip(f"the rate-limit storage {REDIS_URL!r} is not Redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")
    created: list[str] = []
    yield client, created
    for fragment in created:  # only this test's keys: others may share the database
        for key in client.scan_iter(match=f"*{fragment}*"):
            client.delete(key)
    client.close()


def workers(app, monkeypatch, storage_uri: str):
    """Two app instances configured the way a deployment is: from the environment."""
    monkeypatch.setenv("INTRANET_RATELIMIT_STORAGE_URI", storage_uri)
    config = {"RATELIMIT_STORAGE_URI": None, "LOGIN_FAILURES_PER_ACCOUNT": "3 per 15 minutes"}
    return extra_app(app, config), extra_app(app, config)


def attempt(worker, user, password: str, address: str):
    client = worker.test_client()
    return client.post(
        "/login",
        data={"login": user.email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def fragments(user, address: str) -> list[str]:
    return [
        throttle._key("login-account", user.email).split(":")[1],
        throttle._key("login-ip", address).split(":")[1],
    ]


@pytest.mark.slow
def test_account_limit_holds_across_two_workers_sharing_redis(app, make, redis_db, monkeypatch):
    redis_client, created = redis_db
    user = make.password_user("student", email=f"throttle-{secrets.token_hex(6)}@example.test")
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    created.extend(fragments(user, address))
    first_cm, second_cm = workers(app, monkeypatch, REDIS_URL)
    with first_cm as first, second_cm as second:
        assert first.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
        for worker in (first, second, first):
            response = attempt(worker, user, "wrong password", address)
            assert response.status_code == 200 and THROTTLED not in response.text
        assert any(redis_client.scan_iter(match=f"*{created[0]}*")), "counted in Redis"
        # The fourth attempt, with the right password, on either worker: refused.
        for worker in (second, first):
            response = attempt(worker, user, PASSWORD, address)
            assert response.status_code == 200
            assert THROTTLED in response.text


@pytest.mark.slow
def test_with_memory_storage_each_worker_counts_alone(app, make, monkeypatch):
    """The control: without shared storage the same spread of attempts gets through."""
    user = make.password_user("student")
    first_cm, second_cm = workers(app, monkeypatch, "memory://")
    with first_cm as first, second_cm as second:
        for worker in (first, second, first):
            attempt(worker, user, "wrong password", "10.0.0.1")
        assert attempt(second, user, PASSWORD, "10.0.0.1").status_code == 302


@pytest.mark.slow
def test_unreachable_storage_still_throttles_in_memory(app, make, monkeypatch, caplog):
    """Redis down: sign-in keeps working and failures are still counted (in this process)."""
    user = make.password_user("student")
    first_cm, _unused = workers(app, monkeypatch, "redis://127.0.0.1:1/15")
    with first_cm as worker:
        for _ in range(3):
            response = attempt(worker, user, "wrong password", "10.0.0.2")
            assert response.status_code == 200
        blocked = attempt(worker, user, PASSWORD, "10.0.0.2")
        assert blocked.status_code == 200 and THROTTLED in blocked.text
    assert "throttle storage unreachable" in caplog.text
