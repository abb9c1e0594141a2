"""Objects of onboarding, movement, documents and councils for the permission matrix, built on
first use and kept on the matrix's world (the admin there becomes the main one)."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

NAMES = (
    "doc", "inv_tutor", "inv_admin", "inv_parent", "expired", "req_parent", "req_teacher",
    "second_admin", "movement", "council", "council_member", "club", "club_member",
)  # fmt: skip


def ob(world) -> SimpleNamespace:
    from tests.permissions.world import World

    if not isinstance(world, World):  # the route-coverage check resolves paths without data
        return SimpleNamespace(
            **{name: SimpleNamespace(id=1) for name in NAMES},
            token="token",
            expired_token="token",
            activation_token="token",
        )
    cached = getattr(world, "_onboarding", None)
    if cached is not None:
        return cached
    from intranet.extensions import db
    from intranet.models import (
        CouncilMember,
        ExtracurricularMember,
        Movement,
        MovementKind,
        MovementStatus,
        Role,
    )
    from intranet.services import security
    from intranet.services.onboarding.activation import activation_token
    from tests import factories as f
    from tests.onboarding import helpers as h

    for link in world.admin.roles:
        if link.role is Role.ADMIN:
            link.is_main = True
    doc = h.document()
    inv_tutor = h.invitation(world.tutor, "student", group=world.group_own)
    inv_admin = h.invitation(world.admin, "teacher")
    inv_parent = h.invitation(world.student, "parent", student=world.student)
    expired = h.invitation(world.admin, "student", group=world.group_own, days=-1)
    applicant = f.user(last_name="Заявителев")
    parent_applicant = f.user(last_name="Роднова")
    f.guardian(parent_applicant, world.student, confirmed=False)
    req_parent = h.join_request(parent_applicant, "parent", student=world.student)
    req_teacher = h.join_request(applicant, "teacher")
    second_admin = f.user("admin", "teacher", last_name="Вторая")
    movement = Movement(
        kind=MovementKind.ACADEMIC_LEAVE,
        status=MovementStatus.SCHEDULED,
        person_id=world.other_student.id,
        effective_on=date.today() + timedelta(days=30),
        basis_id=doc.id,
        created_by_id=world.admin.id,
    )
    council = h.council()
    club = h.club(leader=world.teacher)
    council_member = CouncilMember(
        council_id=council.id, user_id=world.parent.id, since=date.today()
    )
    club_member = ExtracurricularMember(
        group_id=club.id, user_id=world.student.id, joined_on=date.today()
    )
    db.session.add_all([movement, council_member, club_member])
    db.session.commit()
    world._onboarding = SimpleNamespace(
        doc=doc,
        inv_tutor=inv_tutor,
        inv_admin=inv_admin,
        inv_parent=inv_parent,
        expired=expired,
        req_parent=req_parent,
        req_teacher=req_teacher,
        second_admin=second_admin,
        movement=movement,
        council=council,
        council_member=council_member,
        club=club,
        club_member=club_member,
        token=security.make_token("invitation", inv_admin.id, 0),
        expired_token=security.make_token("invitation", expired.id, 0),
        activation_token=activation_token(world.student),
    )
    return world._onboarding
