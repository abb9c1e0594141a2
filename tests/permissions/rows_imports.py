"""Matrix rows: CSV import of students and parents — platform administrators only."""

from tests.permissions.matrix import Row, everyone

ADMIN = everyone(403, anon=302, admin=200)

ROWS = [
    Row("GET", "/imports/", ADMIN),
    Row(
        "POST", "/imports/preview", everyone(403, anon=302, admin=400), note="no file: errors shown"
    ),
    Row(
        "POST",
        "/imports/run",
        everyone(403, anon=302, admin=302),
        note="no file: back with a message",
    ),
    Row("GET", "/imports/template-students.csv", ADMIN),
    Row("GET", "/imports/template-parents.csv", ADMIN),
    Row(
        "GET",
        "/imports/template-nonsense.csv",
        everyone(403, anon=302, admin=404),
        note="no such kind",
    ),
]
