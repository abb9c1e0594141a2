"""Matrix rows: the «Почта» admin page, e-mail settings in the profile, password reset."""

from tests.permissions.matrix import Row, everyone

ADMIN_ONLY = everyone(403, anon=302, admin=200)

ROWS = [
    Row("GET", "/admin/mail/", ADMIN_ONLY),
    Row("GET", "/admin/mail/?status=dead&q=petrov", ADMIN_ONLY, note="filtered"),
    Row("GET", lambda w: f"/admin/mail/{w.mail_message.id}", ADMIN_ONLY, note="any message"),
    Row("GET", lambda w: f"/admin/mail/{w.mail_message.id}.eml", ADMIN_ONLY, note="any message"),
    Row("GET", "/admin/mail/999999", everyone(403, anon=302, admin=404), note="missing"),
    # Retrying the dead message and queueing a test message both redirect after the POST.
    Row(
        "POST",
        lambda w: f"/admin/mail/{w.mail_message.id}/retry",
        everyone(403, anon=302, admin=302),
        note="any message",
    ),
    Row("POST", "/admin/mail/test", everyone(403, anon=302, admin=302)),
    Row("GET", "/profile/mail", everyone(200, anon=302)),
    Row("POST", "/profile/mail", everyone(302)),
    # Password reset is for everyone, signed in or not; a bad link gets an explanation.
    Row("GET", "/password/forgot", everyone(200)),
    Row("POST", "/password/forgot", everyone(200), note="empty form: errors shown"),
    Row(
        "POST",
        "/password/forgot",
        everyone(302),
        note="an address: the same answer for all",
        data={"login": "nobody@example.test"},
    ),
    Row("GET", "/password/reset/not-a-token", everyone(200), note="invalid link"),
    Row("POST", "/password/reset/not-a-token", everyone(200), note="invalid link"),
]
