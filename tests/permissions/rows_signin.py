"""Matrix rows: two-factor sign-in (the code after the password, setting it up, the profile).

The sign-in steps open only in a half-signed-in session (after a right password), which no
subject of the matrix has: a visitor is sent back to the password, a signed-in user home.
In the profile, a person without two-factor sign-in may start setting it up (302 back to the
page); confirming, new recovery codes and turning it off need it pending or on, so each sends
the person back to the page. tests/security/test_two_factor.py covers the states themselves.
"""

from tests.permissions.matrix import Row, everyone

ROWS = [
    Row("GET", "/login/code", everyone(302)),
    Row("POST", "/login/code", everyone(302)),
    Row("GET", "/login/setup", everyone(302)),
    Row("POST", "/login/setup", everyone(302)),
    Row("GET", "/profile/two-factor", everyone(200, anon=302)),
    Row("POST", "/profile/two-factor/start", everyone(302)),
    Row("POST", "/profile/two-factor/confirm", everyone(302)),
    Row("POST", "/profile/two-factor/recovery-codes", everyone(302)),
    Row("POST", "/profile/two-factor/disable", everyone(302)),
    # An administrator resets a person's two-factor sign-in from the person's page.
    Row(
        "POST",
        lambda w: f"/people/{w.other_student.id}/two-factor/reset",
        everyone(403, anon=302, admin=302),
        note="any",
    ),
]
