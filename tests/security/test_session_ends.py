"""The five ways a session ends, each shown with a copy of the cookie replayed afterwards:
logout, a password change, disabling the account, the idle timeout and the absolute timeout
(the last two with a controlled clock). Also: the last use is written at most once a minute.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from intranet.extensions import db
from intranet.models import LoginSession
from intranet.services import accounts
from tests.security.clock import Clock

PASSWORD = "correct horse battery"
COOKIE = "intranet_session"


@pytest.fixture
def clock(monkeypatch):
    return Clock.install(monkeypatch)


def sign_in(app, user):
    client = app.test_client()
    answer = client.post("/login", data={"login": user.email, "password": PASSWORD})
    assert answer.status_code == 302 and answer.location.endswith("/")
    return client


def replay(app, client) -> int:
    """The status a stolen copy of this browser's cookie gets for the profile page."""
    other = app.test_client()
    other.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return other.get("/profile").status_code


def keep_busy(client) -> None:
    """A request that writes (POST), so the session's last use is recorded in the test's
    transaction; a GET records it in a transaction of its own (see the live-server test)."""
    assert client.post("/language", data={"locale": "ru"}).status_code == 302


def last_seen(user):
    db.session.expire_all()
    return db.session.scalar(
        select(LoginSession.last_seen_at)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .order_by(LoginSession.id.desc())
    )


@pytest.mark.pg
def test_logout_ends_the_session(app, make, clock):
    user = make.password_user("teacher")
    browser = sign_in(app, user)
    stolen = app.test_client()
    stolen.set_cookie(COOKIE, browser.get_cookie(COOKIE).value)
    assert stolen.get("/profile").status_code == 200
    browser.post("/logout")
    assert stolen.get("/profile").status_code == 302


@pytest.mark.pg
def test_a_password_change_ends_the_other_sessions(app, make, clock):
    user = make.password_user("teacher")
    here, elsewhere = sign_in(app, user), sign_in(app, user)
    here.post(
        "/profile/password",
        data={
            "pw-current_password": PASSWORD,
            "pw-password": "a brand new passphrase",
            "pw-confirm": "a brand new passphrase",
        },
    )
    assert here.get("/profile").status_code == 200
    assert elsewhere.get("/profile").status_code == 302
    assert replay(app, elsewhere) == 302


@pytest.mark.pg
def test_disabling_the_account_ends_its_sessions(app, make, clock):
    admin = make.user("admin")
    user = make.password_user("student")
    browser = sign_in(app, user)
    accounts.set_active(user, False, actor=admin)
    db.session.commit()
    assert browser.get("/profile").status_code == 302
    assert replay(app, browser) == 302


@pytest.mark.pg
def test_the_idle_timeout_ends_an_unused_session(app, make, clock):
    idle = current_app.config["SESSION_IDLE_TIMEOUT"]
    assert idle == 2 * 3600
    user = make.password_user("teacher")
    used, unused = sign_in(app, user), sign_in(app, user)
    clock.advance(seconds=idle - 1)
    assert used.get("/profile").status_code == 200, "just inside the idle limit"
    clock.advance(seconds=2)
    assert unused.get("/profile").status_code == 302, "unused for longer than the limit"
    assert replay(app, unused) == 302


@pytest.mark.pg
def test_use_keeps_a_session_alive_until_the_absolute_timeout(app, make, clock):
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    user = make.password_user("teacher")
    browser = sign_in(app, user)
    started = clock.now
    # Used every 90 minutes: never idle for two hours, alive for nearly twelve.
    while clock.now - started < timedelta(seconds=lifetime - 5400):
        clock.advance(minutes=90)
        assert browser.get("/profile").status_code == 200, clock.now - started
        keep_busy(browser)
    clock.advance(seconds=(started - clock.now).total_seconds() + lifetime + 1)
    assert (clock.now - started).total_seconds() == lifetime + 1
    assert browser.get("/profile").status_code == 302, "the absolute limit, despite the use"
    assert replay(app, browser) == 302


def test_last_use_is_written_at_most_once_a_minute(app, make, clock):
    user = make.password_user("teacher")
    browser = sign_in(app, user)
    signed_in_at = last_seen(user)
    assert signed_in_at == clock.now
    clock.advance(seconds=30)
    keep_busy(browser)
    assert last_seen(user) == signed_in_at, "30 seconds later: not written"
    clock.advance(seconds=31)
    keep_busy(browser)
    assert last_seen(user) == clock.now, "61 seconds later: written"


def test_an_idle_timeout_of_zero_turns_it_off(app, make, clock, monkeypatch):
    monkeypatch.setitem(current_app.config, "SESSION_IDLE_TIMEOUT", 0)
    user = make.password_user("teacher")
    browser = sign_in(app, user)
    clock.advance(hours=5)
    assert browser.get("/profile").status_code == 200
