"""Matrix rows: joining by a link and activation (anyone), invitations (admins for any role,
tutors and teachers for their groups' students, a student or their tutor for a parent), the
join-request queue (admins; tutors for parents of their students), sign-in links and
activation sheets (admins; tutors for their groups), administrators (the head appoints the
main one, the main one the others). "own" objects are the tutor's (or the student's)."""

from tests.onboarding.world import ob
from tests.permissions.matrix import Row, everyone

ANYONE = everyone(200)
SIGNED_IN = everyone(200, anon=302)
ADMIN = everyone(403, anon=302, admin=200)
ADMIN_TUTOR = everyone(403, anon=302, admin=200, tutor=200)
ADMIN_TUTOR_REDIRECT = everyone(403, anon=302, admin=302, tutor=302)
INVITERS = everyone(403, anon=302, admin=200, tutor=200, teacher=200)


def _inv(name: str, suffix: str = ""):
    return lambda w: f"/onboarding/invitations/{getattr(ob(w), name).id}{suffix}"


def _req(name: str, suffix: str = ""):
    return lambda w: f"/onboarding/requests/{getattr(ob(w), name).id}{suffix}"


def _main(path: str):
    """A path for which the world's admin must be the main one (ob makes them so)."""
    return lambda w: (ob(w), path)[1]


ROWS = [
    # Public: the link, registration, activation, the policy.
    Row("GET", lambda w: f"/join/{ob(w).token}", ANYONE, note="valid link"),
    Row("POST", lambda w: f"/join/{ob(w).token}", ANYONE, note="empty form: errors shown"),
    Row("GET", "/join/not-a-token", everyone(404), note="tampered"),
    Row("GET", lambda w: f"/join/{ob(w).expired_token}", everyone(410), note="expired"),
    Row(
        "POST",
        lambda w: f"/join/{ob(w).token}/accept",
        everyone(200, anon=302),
        note="signed in: consent missing, form shown",
    ),
    Row("GET", "/join/done", ANYONE),
    Row("GET", "/privacy", ANYONE),
    Row("GET", lambda w: f"/activate/{ob(w).activation_token}", ANYONE, note="valid link"),
    Row(
        "POST",
        lambda w: f"/activate/{ob(w).activation_token}",
        ANYONE,
        note="empty form: errors shown",
    ),
    Row("GET", "/activate/not-a-token", everyone(404), note="tampered"),
    # Invitations.
    Row(
        "GET",
        "/onboarding/",
        everyone(403, anon=302, admin=200, tutor=200, teacher=200, student=200),
    ),
    Row(
        "GET",
        "/onboarding/?state=all&role=student&mine=1",
        everyone(403, anon=302, admin=200, tutor=200, teacher=200, student=200),
        note="filtered",
    ),
    Row("GET", "/onboarding/invitations/new", INVITERS),
    Row("POST", "/onboarding/invitations/new", INVITERS, note="empty form: errors shown"),
    Row(
        "GET",
        "/onboarding/parent-links/new",
        everyone(403, anon=302, admin=200, tutor=200, student=200),
    ),
    Row(
        "POST",
        "/onboarding/parent-links/new",
        everyone(403, anon=302, admin=200, tutor=200, student=200),
        note="empty form: errors shown",
    ),
    Row("GET", _inv("inv_tutor"), ADMIN_TUTOR, note="own (the tutor's)"),
    Row("GET", _inv("inv_admin"), ADMIN, note="other (the admin's)"),
    Row(
        "GET",
        _inv("inv_parent"),
        everyone(403, anon=302, admin=200, student=200),
        note="own (the student's parent link)",
    ),
    Row("GET", "/onboarding/invitations/999999", everyone(404, anon=302), note="missing"),
    Row("POST", _inv("inv_tutor", "/revoke"), ADMIN_TUTOR_REDIRECT, note="own"),
    Row("POST", _inv("inv_admin", "/revoke"), everyone(403, anon=302, admin=302), note="other"),
    Row(
        "POST",
        _inv("inv_tutor", "/mail"),
        everyone(403, anon=302, admin=400, tutor=400),
        note="own, no address typed",
    ),
    Row(
        "POST",
        _inv("inv_admin", "/mail"),
        everyone(403, anon=302, admin=400),
        note="other, no address typed",
    ),
    Row("POST", _inv("inv_tutor", "/reissue"), ADMIN_TUTOR_REDIRECT, note="own"),
    Row("POST", _inv("inv_admin", "/reissue"), everyone(403, anon=302, admin=302), note="other"),
    # The join-request queue.
    Row("GET", "/onboarding/requests", ADMIN_TUTOR),
    Row("GET", "/onboarding/requests?status=all&role=parent&q=р", ADMIN_TUTOR, note="filtered"),
    Row(
        "POST",
        "/onboarding/requests/decide",
        ADMIN_TUTOR_REDIRECT,
        note="nothing chosen: back with a message",
    ),
    Row("GET", _req("req_parent"), ADMIN_TUTOR, note="own (a parent of the tutor's student)"),
    Row("GET", _req("req_teacher"), ADMIN, note="other (a teacher)"),
    Row(
        "GET",
        "/onboarding/requests/999999",
        everyone(403, anon=302, admin=404, tutor=404),
        note="missing",
    ),
    Row("POST", _req("req_parent", "/approve"), ADMIN_TUTOR_REDIRECT, note="own"),
    Row("POST", _req("req_teacher", "/approve"), everyone(403, anon=302, admin=302), note="other"),
    Row(
        "POST",
        _req("req_parent", "/reject"),
        everyone(403, anon=302, admin=400, tutor=400),
        note="own, no reason: refused",
    ),
    Row(
        "POST",
        _req("req_teacher", "/reject"),
        everyone(403, anon=302, admin=400),
        note="other, no reason: refused",
    ),
    # Personal sign-in links and activation sheets.
    Row("GET", lambda w: f"/onboarding/people/{w.student.id}/link", ADMIN_TUTOR, note="own"),
    Row("GET", lambda w: f"/onboarding/people/{w.other_student.id}/link", ADMIN, note="other"),
    Row("GET", lambda w: f"/onboarding/people/{w.parent.id}/link", ADMIN_TUTOR, note="own parent"),
    Row("POST", lambda w: f"/onboarding/people/{w.student.id}/link", ADMIN_TUTOR, note="own"),
    Row("POST", lambda w: f"/onboarding/people/{w.other_student.id}/link", ADMIN, note="other"),
    Row(
        "POST",
        lambda w: f"/onboarding/people/{w.student.id}/activation-mail",
        ADMIN_TUTOR_REDIRECT,
        note="own",
    ),
    Row(
        "POST",
        lambda w: f"/onboarding/people/{w.other_student.id}/activation-mail",
        everyone(403, anon=302, admin=302),
        note="other",
    ),
    Row(
        "GET", lambda w: f"/onboarding/groups/{w.group_own.id}/activation", ADMIN_TUTOR, note="own"
    ),
    Row("GET", lambda w: f"/onboarding/groups/{w.group_other.id}/activation", ADMIN, note="other"),
    Row(
        "POST",
        lambda w: f"/onboarding/groups/{w.group_own.id}/activation/sheet",
        ADMIN_TUTOR,
        note="own: the printable sheet",
    ),
    Row(
        "POST",
        lambda w: f"/onboarding/groups/{w.group_other.id}/activation/sheet",
        ADMIN,
        note="other",
    ),
    Row(
        "POST",
        lambda w: f"/onboarding/groups/{w.group_own.id}/activation/mail",
        ADMIN_TUTOR_REDIRECT,
        note="own",
    ),
    Row(
        "POST",
        lambda w: f"/onboarding/groups/{w.group_other.id}/activation/mail",
        everyone(403, anon=302, admin=302),
        note="other",
    ),
    # Administrators.
    Row("GET", "/onboarding/admins", everyone(403, anon=302, admin=200, head=200)),
    Row(
        "POST",
        "/onboarding/admins/main",
        everyone(403, anon=302, head=400),
        note="empty form: errors shown",
    ),
    Row(
        "POST",
        _main("/onboarding/admins/add"),
        everyone(403, anon=302, admin=400),
        note="the main admin; empty form: errors shown",
    ),
    Row(
        "POST",
        lambda w: f"/onboarding/admins/{ob(w).second_admin.id}/remove",
        everyone(403, anon=302, admin=302),
        note="the main admin removes another",
    ),
]
