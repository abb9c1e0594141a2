"""Signing in and out, sessions, profile and password."""

import pytest

from intranet.extensions import db
from intranet.models import User


def test_login_page_is_russian(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert "Войти" in page.text
    assert 'lang="ru"' in page.text


def test_login_with_email_and_phone(client, make):
    make.password_user("student", email="anna@example.test", phone="+79123456789")
    response = client.post(
        "/login", data={"login": "Anna@Example.test", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/logout")
    response = client.post(
        "/login", data={"login": "8 (912) 345-67-89", "password": "correct horse battery"}
    )
    assert response.status_code == 302


def test_unknown_user_and_wrong_password_get_the_same_answer(client, make):
    make.password_user("student", email="known@example.test")
    wrong = client.post("/login", data={"login": "known@example.test", "password": "nope nope"})
    unknown = client.post("/login", data={"login": "ghost@example.test", "password": "nope nope"})
    assert wrong.status_code == unknown.status_code == 200
    assert "Неверный адрес почты, телефон или пароль." in wrong.text
    assert wrong.text.replace("known@example.test", "X") == unknown.text.replace(
        "ghost@example.test", "X"
    )


def test_login_keeps_entry_on_failure(client):
    page = client.post("/login", data={"login": "someone@example.test", "password": "x"})
    assert 'value="someone@example.test"' in page.text


def test_logout_by_get_is_refused(client, login_as):
    login_as("student")
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_logout_everywhere_ends_other_sessions(app, client, make):
    user = make.password_user("teacher")
    other = app.test_client()
    for c in (client, other):
        assert (
            c.post(
                "/login", data={"login": user.email, "password": "correct horse battery"}
            ).status_code
            == 302
        )
    client.post("/logout-everywhere", data={"submit": "1"})
    assert other.get("/").status_code == 302  # sent to sign in


def test_session_replay_after_logout_is_refused(client, make):
    user = make.password_user("student")
    client.post("/login", data={"login": user.email, "password": "correct horse battery"})
    cookie = client.get_cookie("intranet_session").value
    client.post("/logout")
    # The signed cookie still verifies, but logout ended the session server-side.
    client.set_cookie("intranet_session", cookie)
    assert client.get("/").status_code == 302


def test_disabled_account_loses_its_session(client, login_as):
    user = login_as("student")
    assert client.get("/").status_code == 200
    db.session.get(User, user.id).is_active = False
    db.session.commit()
    assert client.get("/").status_code == 302


def test_password_change(client, make):
    user = make.password_user("student")
    client.post("/login", data={"login": user.email, "password": "correct horse battery"})
    bad = client.post(
        "/profile/password",
        data={
            "pw-current_password": "wrong",
            "pw-password": "new passphrase here",
            "pw-confirm": "new passphrase here",
        },
    )
    assert "Текущий пароль указан неверно." in bad.text
    common = client.post(
        "/profile/password",
        data={
            "pw-current_password": "correct horse battery",
            "pw-password": "qwerty123",
            "pw-confirm": "qwerty123",
        },
    )
    assert "слишком распространён" in common.text
    ok = client.post(
        "/profile/password",
        data={
            "pw-current_password": "correct horse battery",
            "pw-password": "new passphrase here",
            "pw-confirm": "new passphrase here",
        },
    )
    assert ok.status_code == 302
    assert client.get("/").status_code == 200  # this browser stays signed in


@pytest.mark.parametrize(
    "phone,ok",
    [
        ("+7 912 345-67-89", True),
        ("89123456789", True),
        ("12345", False),
        ("+1 202 555 0100", False),
    ],
)
def test_profile_phone_validation(client, login_as, phone, ok):
    login_as("student")
    response = client.post(
        "/profile",
        data={
            "last_name": "Ёлкин",
            "first_name": "Пётр",
            "middle_name": "",
            "email": "",
            "phone": phone,
            "locale": "ru",
        },
    )
    if ok:
        assert response.status_code == 302
    else:
        assert response.status_code == 200
        assert "российский номер" in response.text
        assert f'value="{phone}"' in response.text


def test_login_throttled_per_account(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ACCOUNT", "3 per 15 minutes")
    user = make.password_user("student")
    for _ in range(3):
        client.post("/login", data={"login": user.email, "password": "wrong password"})
    blocked = client.post("/login", data={"login": user.email, "password": "correct horse battery"})
    assert "Слишком много неудачных попыток" in blocked.text


def test_class_behind_one_address_is_not_locked_out(app, make):
    """Thirty students, each mistyping once, then signing in, from one address."""
    users = [make.password_user("student") for _ in range(30)]
    for user in users:
        c = app.test_client()
        c.post("/login", data={"login": user.email, "password": "typo typo"})
        assert (
            c.post(
                "/login", data={"login": user.email, "password": "correct horse battery"}
            ).status_code
            == 302
        )
