"""Matrix rows: movement of students and staff, tutor distribution and the report — the
college's leaders read, platform administrators record."""

from tests.onboarding.world import ob
from tests.permissions.matrix import Row, everyone

LEADERS = everyone(403, anon=302, admin=200, head=200, deputy=200)
ADMIN = everyone(403, anon=302, admin=200)

ROWS = [
    Row("GET", "/movement/", LEADERS),
    Row(
        "GET",
        "/movement/?since=2025-09-01&until=2026-08-31&kind=transfer&status=applied&q=ив",
        LEADERS,
        note="filtered",
    ),
    Row("GET", "/movement/?since=2030-01-01&until=2020-01-01", LEADERS, note="bad period"),
    Row("GET", "/movement/report.csv", LEADERS),
    Row("GET", "/movement/people?find=студ", ADMIN),
    Row("GET", lambda w: f"/movement/{ob(w).movement.id}", LEADERS),
    Row(
        "GET",
        "/movement/999999",
        everyone(403, anon=302, admin=404, head=404, deputy=404),
        note="missing",
    ),
    Row(
        "POST",
        lambda w: f"/movement/{ob(w).movement.id}/cancel",
        everyone(403, anon=302, admin=302),
    ),
    Row("GET", lambda w: f"/movement/students/{w.student.id}", ADMIN),
    Row(
        "GET",
        lambda w: f"/movement/students/{w.teacher.id}",
        everyone(403, anon=302, admin=404),
        note="not a student",
    ),
    Row(
        "POST",
        lambda w: f"/movement/students/{w.student.id}",
        ADMIN,
        note="empty form: errors shown",
    ),
    Row("GET", lambda w: f"/movement/groups/{w.group_own.id}/graduate", ADMIN),
    Row(
        "POST",
        lambda w: f"/movement/groups/{w.group_own.id}/graduate",
        ADMIN,
        note="empty form: errors shown",
    ),
    Row("GET", "/movement/staff/hire", ADMIN),
    Row("POST", "/movement/staff/hire", ADMIN, note="empty form: errors shown"),
    Row("GET", lambda w: f"/movement/staff/{w.teacher.id}/leave", ADMIN),
    Row(
        "GET",
        lambda w: f"/movement/staff/{w.student.id}/leave",
        everyone(403, anon=302, admin=404),
        note="not staff",
    ),
    Row(
        "POST",
        lambda w: f"/movement/staff/{w.teacher.id}/leave",
        ADMIN,
        note="empty form: errors shown",
    ),
    Row("GET", "/movement/tutors", ADMIN),
    Row("POST", "/movement/tutors", ADMIN, note="empty form: errors shown"),
    Row("GET", "/movement/tutors/history", LEADERS),
    Row(
        "GET",
        lambda w: f"/movement/tutors/history?group={w.group_own.id}",
        LEADERS,
        note="one group",
    ),
]
