"""Matrix rows: the structure section (admin pages) and the group page (staff, by object)."""

from tests.permissions.matrix import Row, everyone

ADMIN = everyone(403, anon=302, admin=200)
# A POST that an admin makes: refused or done, it redirects back.
ADMIN_REDIRECT = everyone(403, anon=302, admin=302)
# An empty new-object form re-renders with its errors. (An edit form posted empty keeps the
# saved values, as the profile does, so it saves nothing new and redirects.)
ADMIN_FORM_ERRORS = ADMIN


def _group(w) -> str:
    return f"/structure/groups/{w.group_own.id}"


ROWS = [
    Row("GET", "/structure/", ADMIN),
    Row("GET", "/structure/organisation", ADMIN),
    Row("POST", "/structure/organisation", ADMIN_FORM_ERRORS, note="empty form: errors shown"),
    Row(
        "POST",
        "/structure/organisation",
        ADMIN_REDIRECT,
        note="saved",
        data={
            "full_name": "ГБПОУ «Колледж»",
            "short_name": "Колледж",
            "timezone": "Asia/Omsk",
            "platform": "max",
        },
    ),
    # Departments, specialities, disciplines: admin only. The world's ones are in use, so
    # deleting them is refused (a redirect back with the reason).
    Row("GET", "/structure/departments", ADMIN),
    Row("GET", "/structure/departments?q=информ&sort=-name", ADMIN, note="search"),
    Row("GET", "/structure/departments/new", ADMIN),
    Row("POST", "/structure/departments/new", ADMIN_FORM_ERRORS, note="empty form"),
    Row("GET", lambda w: f"/structure/departments/{w.department.id}/edit", ADMIN, note="any"),
    Row("GET", "/structure/departments/999999/edit", everyone(403, anon=302, admin=404)),
    Row(
        "POST",
        lambda w: f"/structure/departments/{w.department.id}/edit",
        ADMIN_REDIRECT,
        note="any, nothing changed",
    ),
    Row(
        "POST",
        lambda w: f"/structure/departments/{w.department.id}/delete",
        ADMIN_REDIRECT,
        note="in use: refused",
    ),
    Row("GET", "/structure/specialities", ADMIN),
    Row("GET", "/structure/specialities/new", ADMIN),
    Row("POST", "/structure/specialities/new", ADMIN_FORM_ERRORS, note="empty form"),
    Row("GET", lambda w: f"/structure/specialities/{w.speciality.id}/edit", ADMIN, note="any"),
    Row(
        "POST",
        lambda w: f"/structure/specialities/{w.speciality.id}/edit",
        ADMIN_REDIRECT,
        note="any, nothing changed",
    ),
    Row(
        "POST",
        lambda w: f"/structure/specialities/{w.speciality.id}/delete",
        ADMIN_REDIRECT,
        note="in use: refused",
    ),
    Row("GET", "/structure/disciplines", ADMIN),
    Row("GET", "/structure/disciplines/new", ADMIN),
    Row("POST", "/structure/disciplines/new", ADMIN_FORM_ERRORS, note="empty form"),
    Row("GET", lambda w: f"/structure/disciplines/{w.discipline.id}/edit", ADMIN, note="any"),
    Row(
        "POST",
        lambda w: f"/structure/disciplines/{w.discipline.id}/edit",
        ADMIN_REDIRECT,
        note="any, nothing changed",
    ),
    Row(
        "POST",
        lambda w: f"/structure/disciplines/{w.discipline.id}/delete",
        ADMIN_REDIRECT,
        note="in use: refused",
    ),
    # Groups: the list and editing are the admin's.
    Row("GET", "/structure/groups", ADMIN),
    Row("GET", "/structure/groups?tutor=none&course=1&archived=all", ADMIN, note="filtered"),
    Row("GET", "/structure/groups/new", ADMIN),
    Row("POST", "/structure/groups/new", ADMIN_FORM_ERRORS, note="empty form"),
    Row("GET", lambda w: f"{_group(w)}/edit", ADMIN, note="any"),
    Row("POST", lambda w: f"{_group(w)}/edit", ADMIN_REDIRECT, note="any, nothing changed"),
    Row("POST", lambda w: f"{_group(w)}/delete", ADMIN_REDIRECT, note="has students: refused"),
    # The group page: college leaders see every group, tutors and teachers their own;
    # students and parents see their group on the home page instead.
    Row(
        "GET",
        _group,
        everyone(200, anon=302, student=403, parent=403),
        note="own",
    ),
    Row(
        "GET",
        lambda w: f"/structure/groups/{w.group_other.id}",
        everyone(200, anon=302, tutor=403, teacher=403, student=403, parent=403),
        note="other",
    ),
    Row(
        "GET",
        "/structure/groups/999999",
        everyone(404, anon=302),
        note="missing",
    ),
    # Who is in the group: admin actions.
    Row("POST", lambda w: f"{_group(w)}/enroll", ADMIN_FORM_ERRORS, note="own, empty form"),
    Row("POST", lambda w: f"{_group(w)}/tutors", ADMIN_FORM_ERRORS, note="own, empty form"),
    Row("POST", lambda w: f"{_group(w)}/teaching", ADMIN_FORM_ERRORS, note="own, empty form"),
    Row(
        "POST",
        lambda w: f"{_group(w)}/teaching/{w.teaching.id}/delete",
        ADMIN_REDIRECT,
        note="own",
    ),
    Row(
        "GET",
        lambda w: f"{_group(w)}/enrollments/{w.enrollment.id}/end",
        ADMIN,
        note="own",
    ),
    Row(
        "POST",
        lambda w: f"{_group(w)}/enrollments/{w.enrollment.id}/end",
        ADMIN_FORM_ERRORS,
        note="own, empty form",
    ),
    Row(
        "GET",
        lambda w: f"/structure/groups/{w.group_other.id}/enrollments/{w.enrollment.id}/end",
        everyone(403, anon=302, admin=404),
        note="enrollment of another group",
    ),
    Row(
        "GET",
        lambda w: f"{_group(w)}/tutors/{w.tutorship.id}/end",
        ADMIN,
        note="own",
    ),
    Row(
        "POST",
        lambda w: f"{_group(w)}/tutors/{w.tutorship.id}/end",
        ADMIN_FORM_ERRORS,
        note="own, empty form",
    ),
]
