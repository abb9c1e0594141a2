"""The matrix has IDOR rows: where a parent, a tutor or a student reaches an object by its
id in the URL, a row also shows them refused somewhere else on that route (another family's,
another group's or another person's object).

Routes whose argument is not an object of a family or a group (a token, a category, a signed
link), or whose objects every member of staff shares, are listed with the reason.
"""

from __future__ import annotations

from collections import defaultdict

from tests.permissions.matrix import all_rows
from tests.permissions.test_matrix import _PlaceholderWorld

ROLES = ("parent", "tutor", "student")
REFUSED = (403, 404)
NOT_OBJECTS = {
    "auth.reset_password": "a signed token, not an object",
    "helpdesk.new_ticket": "a category of request",
    "helpdesk.public_form": "a category of request",
    "helpdesk.public_reply": "the signed link is the credential",
    "onboarding.accept": "an invitation code",
    "onboarding.activate": "an activation token",
    "onboarding.join": "a joining code",
}
SHARED_BY_STAFF = {  # the tutor is a member of staff (and a teacher) here
    ("councils.council", "tutor"): "councils are open to all staff",
    ("events.download", "tutor"): "staff see every event of the college",
    ("events.people", "tutor"): "staff see every event of the college",
    ("channels.acknowledge", "tutor"): "a mandatory announcement for all staff",
}


def test_every_object_route_has_a_refusal_row_for_parent_tutor_and_student(app):
    adapter = app.url_map.bind("localhost")
    by_route = defaultdict(list)
    for row in all_rows():
        path = row.resolve(_PlaceholderWorld())
        endpoint, args = adapter.match(path.split("?")[0], method=row.method)
        if args and endpoint not in NOT_OBJECTS:
            by_route[(endpoint, row.method)].append(row)
    assert len(by_route) > 100
    missing = []
    for (endpoint, method), rows in sorted(by_route.items()):
        for role in ROLES:
            reached = any(r.expect[role] in (200, 302) for r in rows)
            refused = any(r.expect[role] in REFUSED for r in rows)
            if reached and not refused and (endpoint, role) not in SHARED_BY_STAFF:
                missing.append(f"{method} {endpoint}: {role} reaches an object, never refused")
    assert not missing, "add rows for someone else's object:\n" + "\n".join(missing)
