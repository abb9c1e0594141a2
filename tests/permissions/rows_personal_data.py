"""Matrix rows: one's own personal data (consents, export, withdrawal), an admin's export of
a person's data, and the overview of withdrawals and anonymisation."""

from tests.permissions.matrix import Row, everyone

SIGNED_IN = everyone(200, anon=302)

ROWS = [
    Row("GET", "/profile/personal-data", SIGNED_IN),
    Row("POST", "/profile/personal-data/export", SIGNED_IN, note="a zip of one's own data"),
    # The world's people gave no consent in the intranet (their accounts were made for
    # them), so there is nothing to withdraw: back to the page with a message.
    Row("GET", "/profile/personal-data/withdraw", everyone(302), note="no consent in force"),
    Row(
        "POST",
        "/profile/personal-data/withdraw",
        everyone(302),
        note="no consent in force",
        data={"understood": "y"},
    ),
    Row(
        "POST",
        lambda w: f"/people/{w.student.id}/personal-data/export",
        everyone(403, anon=302, admin=200),
        note="own",
    ),
    Row(
        "POST",
        lambda w: f"/people/{w.other_student.id}/personal-data/export",
        everyone(403, anon=302, admin=200),
        note="other",
    ),
    Row("POST", "/people/999999/personal-data/export", everyone(403, anon=302, admin=404)),
    Row("GET", "/admin/personal-data", everyone(403, anon=302, admin=200, head=200)),
]
