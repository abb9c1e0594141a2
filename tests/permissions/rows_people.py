"""Matrix rows: the directory of people, person pages and an admin's changes to accounts."""

from tests.permissions.matrix import Row, everyone

ADMIN = everyone(403, anon=302, admin=200)
ADMIN_REDIRECT = everyone(403, anon=302, admin=302)
LEADERS = everyone(403, anon=302, admin=200, head=200, deputy=200)

ROWS = [
    Row("GET", "/people/", LEADERS),
    Row("GET", "/people/?status=pending", LEADERS, note="awaiting confirmation"),
    Row("GET", "/people/?q=ёлкин&role=student&active=1&sort=new", LEADERS, note="filtered"),
    Row("GET", lambda w: f"/people/?group={w.group_own.id}", LEADERS, note="by group"),
    Row("GET", "/people/export.csv", LEADERS),
    Row("GET", "/people/new", ADMIN),
    Row("POST", "/people/new", ADMIN, note="empty form: errors shown"),
    # A student's page: the student, their parent, their group's tutor and teachers, and the
    # college's leaders.
    Row("GET", lambda w: f"/people/{w.student.id}", everyone(200, anon=302), note="own"),
    Row(
        "GET",
        lambda w: f"/people/{w.other_student.id}",
        everyone(403, anon=302, admin=200, head=200, deputy=200),
        note="other",
    ),
    # A parent's page: the parent, the tutor of their child's group, the leaders.
    Row(
        "GET",
        lambda w: f"/people/{w.parent.id}",
        everyone(403, anon=302, admin=200, head=200, deputy=200, tutor=200, parent=200),
        note="own",
    ),
    Row(
        "GET",
        lambda w: f"/people/{w.other_parent.id}",
        everyone(403, anon=302, admin=200, head=200, deputy=200),
        note="other",
    ),
    # Staff see each other.
    Row(
        "GET",
        lambda w: f"/people/{w.other_teacher.id}",
        everyone(200, anon=302, student=403, parent=403),
        note="other",
    ),
    Row("GET", "/people/999999", everyone(404, anon=302), note="missing"),
    Row("GET", lambda w: f"/people/{w.student.id}/edit", ADMIN, note="any"),
    # Fields left out keep their saved values: nothing changes, and the page redirects.
    Row("POST", lambda w: f"/people/{w.student.id}/edit", ADMIN_REDIRECT, note="any, unchanged"),
    Row(
        "POST",
        lambda w: f"/people/{w.student.id}/roles",
        ADMIN_REDIRECT,
        note="any",
        data={"roles": "student"},
    ),
    Row("POST", lambda w: f"/people/{w.other_teacher.id}/confirm-teacher", ADMIN_REDIRECT),
    Row("POST", lambda w: f"/people/{w.other_student.id}/disable", ADMIN_REDIRECT, note="any"),
    Row("POST", lambda w: f"/people/{w.other_student.id}/enable", ADMIN_REDIRECT, note="any"),
    Row("POST", lambda w: f"/people/{w.student.id}/parents", ADMIN, note="empty form"),
    Row(
        "POST",
        lambda w: f"/people/{w.student.id}/guardians/{w.guardian.id}/delete",
        ADMIN_REDIRECT,
        note="own link",
    ),
    Row(
        "POST",
        lambda w: f"/people/{w.other_student.id}/guardians/{w.guardian.id}/delete",
        everyone(403, anon=302, admin=404),
        note="a link of someone else",
    ),
]
