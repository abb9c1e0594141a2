"""Builders for onboarding, movement, documents and councils tests (and the matrix rows)."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

from intranet.extensions import db
from intranet.models import (
    ClubKind,
    Council,
    CouncilKind,
    Document,
    DocumentKind,
    ExtracurricularGroup,
    Invitation,
    JoinRequest,
    JoinStatus,
    Role,
)
from intranet.models.base import fold, utcnow

_seq = itertools.count(1)


def document(
    kind: DocumentKind = DocumentKind.ORDER,
    number: str | None = None,
    issued_on: date = date(2025, 8, 29),
    title: str = "О распределении руководства учебными группами",
) -> Document:
    number = number if number is not None else f"{next(_seq)}-к"
    row = Document(
        kind=kind,
        number=number,
        issued_on=issued_on,
        title=title,
        title_key=fold(f"{number} {title}"),
    )
    db.session.add(row)
    db.session.commit()
    return row


def invitation(
    creator,
    role: Role | str = Role.STUDENT,
    *,
    group=None,
    student=None,
    days: int = 14,
    max_uses: int = 30,
    **fields,
) -> Invitation:
    role = Role(role)
    values = {"uses": 0, "token_version": 0, **fields}
    row = Invitation(
        role=role,
        group_id=group.id if group is not None else None,
        department_id=group.department_id if group is not None else None,
        student_id=student.id if student is not None else None,
        expires_at=utcnow() + timedelta(days=days),
        max_uses=1 if role is Role.PARENT else max_uses,
        created_by_id=creator.id if creator is not None else None,
        created_at=utcnow(),
        **values,
    )
    db.session.add(row)
    db.session.commit()
    return row


def join_request(
    user, role: Role | str = Role.TEACHER, *, student=None, group=None, invitation=None
):
    row = JoinRequest(
        user_id=user.id,
        role=Role(role),
        student_id=student.id if student is not None else None,
        group_id=group.id if group is not None else None,
        invitation_id=invitation.id if invitation is not None else None,
        status=JoinStatus.PENDING,
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.commit()
    return row


def council(kind: CouncilKind = CouncilKind.PARENTS, name: str | None = None) -> Council:
    name = name or f"Родительский актив {next(_seq)}"
    row = Council(kind=kind, name=name, name_key=fold(name))
    db.session.add(row)
    db.session.commit()
    return row


def club(leader=None, name: str | None = None) -> ExtracurricularGroup:
    name = name or f"Робототехника {next(_seq)}"
    row = ExtracurricularGroup(
        kind=ClubKind.CLUB, name=name, name_key=fold(name), leader_id=leader.id if leader else None
    )
    db.session.add(row)
    db.session.commit()
    return row


def token_in(text: str, prefix: str = "/join/") -> str:
    """The token of the first link with this path prefix in a page or a message."""
    match = re.search(re.escape(prefix) + r"([A-Za-z0-9_.\-]+)", text)
    assert match, f"no {prefix} link found"
    return match.group(1)
