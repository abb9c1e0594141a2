"""Two-factor sign-in (TOTP + recovery codes): setting it up from the profile, the code after
the password (a half-signed-in state that opens nothing), replay and throttling, recovery
codes used once, turning it off, and the roles that must have it in production."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pyotp
import pytest
from flask import current_app
from sqlalchemy import func, select

from intranet.extensions import db
from intranet.models import AuditEvent, LoginSession, RecoveryCode, TwoFactor
from intranet.services import signin
from tests.security.clock import Clock

PASSWORD = "correct horse battery"
CODE_RE = re.compile(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>")


@pytest.fixture
def clock(monkeypatch):
    return Clock.install(monkeypatch)


def password_step(client, user, **kwargs):
    return client.post("/login", data={"login": user.email, "password": PASSWORD}, **kwargs)


def code_for(user, when) -> str:
    db.session.expire_all()
    return pyotp.TOTP(signin.secret_of(signin.record(user))).at(when)


def turn_on(user, clock) -> list[str]:
    """Two-factor sign-in on, set up the way the profile does it; the clock moves to the next
    step so the code used here is not the next one asked for."""
    signin.start(user)
    codes = signin.confirm(user, code_for(user, clock.now), ip="127.0.0.1")
    db.session.commit()
    clock.advance(seconds=30)
    return codes


def signed_in(client) -> bool:
    return client.get("/profile").status_code == 200


# --- setting up from the profile ------------------------------------------------------------


@pytest.mark.pg
def test_set_up_from_the_profile(app, make, clock):
    user = make.password_user("teacher")
    here, elsewhere = app.test_client(), app.test_client()
    for browser in (here, elsewhere):
        assert password_step(browser, user).status_code == 302
    page = here.get("/profile/two-factor")
    assert "Настроить двухфакторный вход" in page.text

    assert here.post("/profile/two-factor/start").status_code == 302
    page = here.get("/profile/two-factor")
    assert page.status_code == 200
    assert (
        "<svg" in page.text and "<title>QR-код для приложения-аутентификатора</title>" in page.text
    )
    found = db.session.scalar(select(TwoFactor).where(TwoFactor.user_id == user.id))
    secret = signin.secret_of(found)
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page.text
    assert secret not in found.secret, "the secret is stored encrypted"
    assert found.enabled_at is None

    wrong = here.post("/profile/two-factor/confirm", data={"code": "000000"})
    assert wrong.status_code == 200 and "Код не подходит" in wrong.text
    assert 'value="000000"' in wrong.text, "the entry is kept"
    db.session.expire_all()
    assert not signin.is_enabled(user)

    done = here.post("/profile/two-factor/confirm", data={"code": code_for(user, clock.now)})
    assert done.status_code == 200
    codes = CODE_RE.findall(done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "показываются только один раз" in done.text
    stored = db.session.scalars(
        select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)
    ).all()
    assert len(stored) == 10
    assert not any(code.replace("-", "") in h or code in h for code in codes for h in stored)
    db.session.expire_all()
    assert signin.is_enabled(user)
    assert signed_in(here), "the browser that turned it on stays signed in"
    assert not signed_in(elsewhere), "every other session ends"
    again = here.get("/profile/two-factor")
    assert "Двухфакторный вход включён" in again.text and codes[0] not in again.text


def test_start_is_idempotent_and_refused_when_on(app, make, clock, login_as):
    user = make.user("student")
    first = signin.start(user)
    assert signin.start(user).id == first.id, "the secret already shown is kept"
    turn_on(user, clock)
    with pytest.raises(signin.ValidationFailed):
        signin.start(user)


# --- the code after the password ------------------------------------------------------------


@pytest.mark.pg
def test_sign_in_asks_for_the_code_and_opens_nothing_before_it(app, make, clock):
    user = make.password_user("teacher")
    turn_on(user, clock)
    sessions_before = db.session.scalar(
        select(func.count(LoginSession.id)).where(LoginSession.user_id == user.id)
    )
    client = app.test_client()
    first = client.post("/login?next=/profile", data={"login": user.email, "password": PASSWORD})
    assert first.status_code == 302 and first.location.endswith("/login/code")
    # Half signed in: a visitor everywhere else, and no session record yet.
    for path in ("/", "/profile", "/profile/two-factor", "/people/"):
        answer = client.get(path)
        assert answer.status_code in (302, 404), path
        if answer.status_code == 302:
            assert "/login" in answer.location
    assert client.post("/profile/password", data={}).status_code == 302
    assert client.post("/profile/two-factor/disable", data={}).status_code == 302
    assert (
        db.session.scalar(
            select(func.count(LoginSession.id)).where(LoginSession.user_id == user.id)
        )
        == sessions_before
    )
    page = client.get("/login/code")
    assert page.status_code == 200 and "Код для входа" in page.text

    wrong = client.post("/login/code", data={"code": "123456"})
    assert wrong.status_code == 200 and "Неверный код" in wrong.text
    assert not signed_in(client)

    done = client.post("/login/code", data={"code": code_for(user, clock.now)})
    assert done.status_code == 302 and done.location.endswith("/profile")
    assert signed_in(client)


def test_the_same_code_is_refused_a_second_time(app, make, clock):
    user = make.password_user("teacher")
    turn_on(user, clock)
    code = code_for(user, clock.now)
    first = app.test_client()
    password_step(first, user)
    assert first.post("/login/code", data={"code": code}).status_code == 302
    clock.advance(seconds=10)  # the same 30-second window
    second = app.test_client()
    password_step(second, user)
    replay = second.post("/login/code", data={"code": code})
    assert replay.status_code == 200 and "уже использован" in replay.text
    assert not signed_in(second)
    # So is the code of the step before (still within the drift window).
    earlier = code_for(user, clock.now - timedelta(seconds=30))
    assert second.post("/login/code", data={"code": earlier}).status_code == 200
    clock.advance(seconds=30)
    assert second.post("/login/code", data={"code": code_for(user, clock.now)}).status_code == 302


def test_a_neighbouring_step_is_accepted_for_clock_drift(app, make, clock):
    user = make.password_user("teacher")
    turn_on(user, clock)
    clock.advance(seconds=60)
    client = app.test_client()
    password_step(client, user)
    late_phone = code_for(user, clock.now - timedelta(seconds=30))
    assert client.post("/login/code", data={"code": late_phone}).status_code == 302


def test_wrong_codes_are_throttled_and_end_the_half_sign_in(app, make, clock, monkeypatch):
    monkeypatch.setitem(current_app.config, "TWO_FACTOR_FAILURES_PER_ACCOUNT", "3 per 15 minutes")
    user = make.password_user("teacher")
    turn_on(user, clock)
    client = app.test_client()
    password_step(client, user)
    for _ in range(3):
        assert client.post("/login/code", data={"code": "111111"}).status_code == 200
    blocked = client.post("/login/code", data={"code": code_for(user, clock.now)})
    assert blocked.status_code == 302 and blocked.location.endswith("/login")
    assert "Слишком много неверных кодов" in client.get("/login").text
    assert client.get("/login/code").status_code == 302, "the half sign-in is over"
    # Signing in again with the password does not reset the count of wrong codes.
    other = app.test_client()
    password_step(other, user)
    again = other.post("/login/code", data={"code": code_for(user, clock.now)})
    assert again.status_code == 302 and again.location.endswith("/login")
    assert not signed_in(other)


def test_the_half_sign_in_expires(app, make, clock):
    user = make.password_user("teacher")
    turn_on(user, clock)
    client = app.test_client()
    password_step(client, user)
    clock.advance(seconds=current_app.config["TWO_FACTOR_PENDING_SECONDS"] + 1)
    late = client.post("/login/code", data={"code": code_for(user, clock.now)})
    assert late.status_code == 302 and late.location.endswith("/login")
    assert not signed_in(client)


def test_the_half_sign_in_ends_when_the_password_changes(app, make, clock):
    from intranet.services import accounts

    user = make.password_user("teacher")
    turn_on(user, clock)
    client = app.test_client()
    password_step(client, user)
    accounts.set_password(user, "a brand new passphrase", actor=None)
    db.session.commit()
    answer = client.post("/login/code", data={"code": code_for(user, clock.now)})
    assert answer.status_code == 302 and answer.location.endswith("/login")


def test_a_forged_pending_state_is_refused(app, make, clock):
    user = make.password_user("teacher")
    turn_on(user, clock)
    client = app.test_client()
    with client.session_transaction() as session:
        session["signin_pending"] = {"uid": "x", "epoch": 0, "at": 0, "step": "code"}
    assert client.get("/login/code").status_code == 302


# --- recovery codes -------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once(app, make, clock):
    user = make.password_user("teacher")
    codes = turn_on(user, clock)
    client = app.test_client()
    password_step(client, user)
    used = client.post("/login/code", data={"code": codes[3].upper().replace("-", " ")})
    assert used.status_code == 302
    assert "осталось 9" in client.get("/").text
    assert db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "account.2fa_recovery_used")
    )
    again = app.test_client()
    password_step(again, user)
    refused = again.post("/login/code", data={"code": codes[3]})
    assert refused.status_code == 200 and "уже использован" in refused.text
    assert again.post("/login/code", data={"code": codes[4]}).status_code == 302


def test_new_recovery_codes_replace_the_old_ones(app, make, clock):
    user = make.password_user("teacher")
    old = turn_on(user, clock)
    client = app.test_client()
    password_step(client, user)
    client.post("/login/code", data={"code": code_for(user, clock.now)})
    wrong = client.post("/profile/two-factor/recovery-codes", data={"rc-password": "nope nope"})
    assert wrong.status_code == 200 and "Неверный пароль" in wrong.text
    page = client.post("/profile/two-factor/recovery-codes", data={"rc-password": PASSWORD})
    new = CODE_RE.findall(page.text)
    assert len(new) == 10 and not set(new) & set(old)
    other = app.test_client()
    password_step(other, user)
    assert other.post("/login/code", data={"code": old[0]}).status_code == 200
    assert other.post("/login/code", data={"code": new[0]}).status_code == 302


# --- turning it off -------------------------------------------------------------------------


@pytest.mark.pg
def test_turning_off_needs_the_password_and_a_code(app, make, clock):
    user = make.password_user("teacher")
    turn_on(user, clock)
    here, elsewhere = app.test_client(), app.test_client()
    for browser in (here, elsewhere):
        password_step(browser, user)
        clock.advance(seconds=30)
        assert (
            browser.post("/login/code", data={"code": code_for(user, clock.now)}).status_code == 302
        )
    clock.advance(seconds=30)
    code = code_for(user, clock.now)

    no_password = here.post(
        "/profile/two-factor/disable", data={"off-password": "wrong one", "off-code": code}
    )
    assert no_password.status_code == 200 and "Неверный пароль" in no_password.text
    no_code = here.post(
        "/profile/two-factor/disable", data={"off-password": PASSWORD, "off-code": "999999"}
    )
    assert no_code.status_code == 200 and "Неверный код" in no_code.text
    empty = here.post("/profile/two-factor/disable", data={})
    assert empty.status_code == 200 and "Введите пароль" in empty.text
    db.session.expire_all()
    assert signin.is_enabled(user)

    done = here.post(
        "/profile/two-factor/disable", data={"off-password": PASSWORD, "off-code": code}
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert signin.record(user) is None
    assert not db.session.scalar(
        select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id)
    )
    assert signed_in(here) and not signed_in(elsewhere)
    plain = app.test_client()
    assert password_step(plain, user).location.endswith("/"), "the password alone again"


# --- required roles -------------------------------------------------------------------------


def test_not_required_outside_production(app, make):
    assert current_app.config["REQUIRE_2FA_FOR"] == []
    admin = make.password_user("admin")
    answer = password_step(app.test_client(), admin)
    assert answer.status_code == 302 and answer.location.endswith("/")


@pytest.mark.pg
def test_a_required_role_sets_it_up_before_anything_else(app, make, clock, monkeypatch):
    monkeypatch.setitem(current_app.config, "REQUIRE_2FA_FOR", ["admin", "head"])
    teacher = make.password_user("teacher")
    assert password_step(app.test_client(), teacher).location.endswith("/")

    head = make.password_user("head")
    client = app.test_client()
    first = password_step(client, head)
    assert first.status_code == 302 and first.location.endswith("/login/setup")
    for path in ("/", "/profile", "/profile/two-factor", "/login/code"):
        assert "/login" in client.get(path).location, path
    page = client.get("/login/setup")
    assert page.status_code == 200 and "<svg" in page.text
    assert "Настройте двухфакторный вход" in page.text or "Настройка" in page.text
    wrong = client.post("/login/setup", data={"code": "000000"})
    assert wrong.status_code == 200 and "Код не подходит" in wrong.text
    assert not signed_in(client)
    done = client.post("/login/setup", data={"code": code_for(head, clock.now)})
    assert done.status_code == 200 and len(CODE_RE.findall(done.text)) == 10
    assert signed_in(client)

    # From now on the code is asked for, and it cannot be turned off.
    clock.advance(seconds=30)
    later = app.test_client()
    assert password_step(later, head).location.endswith("/login/code")
    later.post("/login/code", data={"code": code_for(head, clock.now)})
    profile = later.get("/profile/two-factor")
    assert "обязателен для вашей роли" in profile.text
    clock.advance(seconds=30)
    refused = later.post(
        "/profile/two-factor/disable",
        data={"off-password": PASSWORD, "off-code": code_for(head, clock.now)},
    )
    assert refused.status_code == 200
    db.session.expire_all()
    assert signin.is_enabled(head)


def test_a_session_without_a_code_ends_when_the_role_comes_to_require_one(
    app, make, clock, monkeypatch
):
    from intranet.models import Role
    from intranet.services import accounts

    monkeypatch.setitem(current_app.config, "REQUIRE_2FA_FOR", ["admin", "head"])
    person = make.password_user("teacher")
    browser = app.test_client()
    assert password_step(browser, person).location.endswith("/")
    assert signed_in(browser)
    accounts.set_roles(person, [Role.TEACHER, Role.HEAD], actor=None)
    db.session.commit()
    ended = browser.get("/profile")
    assert ended.status_code == 302 and ended.location.endswith("/login")
    assert "Для вашей роли теперь нужен двухфакторный вход" in browser.get("/login").text
    assert not signed_in(browser)
    assert password_step(browser, person).location.endswith("/login/setup")
    done = browser.post("/login/setup", data={"code": code_for(person, clock.now)})
    assert done.status_code == 200 and signed_in(browser), "set up: this session may stay"


def test_the_setup_secret_survives_a_second_password_entry(app, make, clock, monkeypatch):
    """Someone who scanned the QR code and then had to sign in again keeps the same secret."""
    monkeypatch.setitem(current_app.config, "REQUIRE_2FA_FOR", ["admin"])
    admin = make.password_user("admin")
    password_step(app.test_client(), admin)
    secret = signin.secret_of(signin.record(admin))
    client = app.test_client()
    password_step(client, admin)
    db.session.expire_all()
    assert signin.secret_of(signin.record(admin)) == secret


# --- the stored secret ----------------------------------------------------------------------


def test_sealed_secret_round_trip_and_tampering(app, monkeypatch):
    sealed = signin.seal("JBSWY3DPEHPK3PXP")
    assert signin.unseal(sealed) == "JBSWY3DPEHPK3PXP"
    assert signin.seal("JBSWY3DPEHPK3PXP") != sealed, "a fresh nonce each time"
    raw = bytearray(base64.urlsafe_b64decode(sealed))
    raw[20] ^= 1
    with pytest.raises(ValueError):
        signin.unseal(base64.urlsafe_b64encode(bytes(raw)).decode())
    monkeypatch.setitem(current_app.config, "TOKEN_KEY", "another-key-" + "z" * 40)
    with pytest.raises(ValueError):
        signin.unseal(sealed)


def test_the_command_line_resets_it(app, make, clock):
    user = make.password_user("teacher")
    turn_on(user, clock)
    browser = app.test_client()
    password_step(browser, user)
    browser.post("/login/code", data={"code": code_for(user, clock.now)})
    assert signed_in(browser)
    result = app.test_cli_runner().invoke(args=["auth", "reset-2fa", user.email])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert signin.record(user) is None
    assert not signed_in(browser), "their sessions end"
    assert password_step(app.test_client(), user).location.endswith("/")
    unknown = app.test_cli_runner().invoke(args=["auth", "reset-2fa", "nobody@example.test"])
    assert unknown.exit_code != 0 and "No account" in unknown.output


def test_the_last_sign_in_is_recorded_after_the_code_not_the_password(app, make, clock):
    user = make.password_user("teacher")
    turn_on(user, clock)
    client = app.test_client()
    password_step(client, user)
    db.session.expire_all()
    assert user.last_login_at is None
    client.post("/login/code", data={"code": code_for(user, clock.now)})
    db.session.expire_all()
    assert user.last_login_at == clock.now


def test_an_administrator_resets_it_from_the_person_page(app, make, clock, login_as, client):
    person = make.password_user("teacher")
    turn_on(user := person, clock)
    browser = app.test_client()
    password_step(browser, user)
    browser.post("/login/code", data={"code": code_for(user, clock.now)})
    assert signed_in(browser)
    admin = login_as("admin")
    page = client.get(f"/people/{person.id}")
    assert "Сбросить двухфакторный вход" in page.text
    assert client.post(f"/people/{person.id}/two-factor/reset").status_code == 302
    db.session.expire_all()
    assert signin.record(person) is None
    assert not signed_in(browser)
    assert "Сбросить двухфакторный вход" not in client.get(f"/people/{person.id}").text
    assert db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "account.2fa_reset", AuditEvent.actor_id == admin.id
        )
    )
    own = client.post(f"/people/{admin.id}/two-factor/reset")
    assert own.status_code == 302


def test_a_changed_token_key_refuses_codes_without_an_error(
    app, make, clock, monkeypatch, login_as, client
):
    """Secrets sealed under the old TOKEN_KEY no longer open: codes are refused (a reset
    lets the person set it up again) and a setup in progress starts over with a new secret."""
    user = make.password_user("teacher")
    turn_on(user, clock)
    code = code_for(user, clock.now)
    pending = make.user("student")
    signin.start(pending)
    db.session.commit()
    old_secret = signin.record(pending).secret
    monkeypatch.setitem(current_app.config, "TOKEN_KEY", "a-new-token-key-" + "k" * 40)

    browser = app.test_client()
    password_step(browser, user)
    refused = browser.post("/login/code", data={"code": code})
    assert refused.status_code == 200 and "Неверный код" in refused.text

    login_as(user=pending)
    page = client.get("/profile/two-factor")
    assert page.status_code == 200 and "Настроить двухфакторный вход" in page.text
    assert client.post("/profile/two-factor/confirm", data={"code": "123456"}).status_code == 302
    assert client.post("/profile/two-factor/start").status_code == 302
    db.session.expire_all()
    assert signin.record(pending).secret != old_secret
    assert "<svg" in client.get("/profile/two-factor").text
