"""Sessions that must end: other browsers after a password change; every browser of a
disabled account, for good (re-enabling it does not bring an old cookie back).

Replay after logout and "log out everywhere" are in tests/views/test_auth.py.
"""

from __future__ import annotations

import pytest

from intranet.extensions import db
from intranet.services import accounts

PASSWORD = "correct horse battery"


def signed_in_client(app, user):
    c = app.test_client()
    assert c.post("/login", data={"login": user.email, "password": PASSWORD}).status_code == 302
    assert c.get("/").status_code == 200
    return c


@pytest.mark.pg
def test_password_change_ends_other_sessions(app, make):
    user = make.password_user("teacher")
    here, elsewhere = signed_in_client(app, user), signed_in_client(app, user)
    stolen_cookie = elsewhere.get_cookie("intranet_session").value
    response = here.post(
        "/profile/password",
        data={
            "pw-current_password": PASSWORD,
            "pw-password": "a brand new passphrase",
            "pw-confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert here.get("/").status_code == 200  # the browser that changed it stays signed in
    assert elsewhere.get("/").status_code == 302  # the other one is sent to sign in
    replay = app.test_client()
    replay.set_cookie("intranet_session", stolen_cookie)
    assert replay.get("/").status_code == 302


@pytest.mark.pg
def test_disabling_ends_sessions_and_enabling_does_not_revive_them(app, make):
    admin = make.user("admin")
    user = make.password_user("student")
    browser = signed_in_client(app, user)
    old_cookie = browser.get_cookie("intranet_session").value

    accounts.set_active(user, False, actor=admin)
    db.session.commit()
    assert browser.get("/").status_code == 302
    assert (
        app.test_client()
        .post("/login", data={"login": user.email, "password": PASSWORD})
        .status_code
        == 200
    ), "a disabled account cannot sign in"

    accounts.set_active(user, True, actor=admin)
    db.session.commit()
    replay = app.test_client()
    replay.set_cookie("intranet_session", old_cookie)
    assert replay.get("/").status_code == 302
    assert signed_in_client(app, user).get("/profile").status_code == 200
