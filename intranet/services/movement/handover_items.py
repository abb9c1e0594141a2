"""What the intranet's own areas hand over when staff leave: tutorships, teaching, clubs, open
invitation links (revoked), help-desk tickets (through the help desk's `assign`) and places
among the named reviewers of channels (swapped here until the channels services offer a
hand-over of their own)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select

from intranet.extensions import db
from intranet.models import (
    ExtracurricularGroup,
    Invitation,
    Role,
    TeachingAssignment,
    TutorAssignment,
    User,
)
from intranet.models.base import utcnow
from intranet.services import audit
from intranet.services.movement.handover import register_handover


def _name(person: User | None) -> str:
    return person.full_name if person is not None else "—"


def _has_role(role: Role, message: Any) -> Callable[[User, User], str | None]:
    def check(person: User, successor: User) -> str | None:
        if successor.has_role(role):
            return None
        return str(message) % {"name": successor.full_name}

    return check


# --- tutorships -----------------------------------------------------------------------------


def _tutorships(person: User, day: date):
    return select(TutorAssignment).where(
        TutorAssignment.tutor_id == person.id,
        or_(TutorAssignment.ends_on.is_(None), TutorAssignment.ends_on >= day),
    )


def _count_tutorships(person: User, day: date) -> int:
    query = _tutorships(person, day).with_only_columns(func.count(TutorAssignment.id))
    return db.session.scalar(query) or 0


def _transfer_tutorships(person: User, successor: User | None, day: date, actor) -> int:
    moved = 0
    for row in db.session.scalars(_tutorships(person, day)).all():
        clash = (
            db.session.scalar(
                select(TutorAssignment.id).where(
                    TutorAssignment.group_id == row.group_id,
                    TutorAssignment.tutor_id == successor.id,
                    or_(TutorAssignment.ends_on.is_(None), TutorAssignment.ends_on >= day),
                )
            )
            if successor is not None
            else -1  # nobody takes it: the tutorship just ends
        )
        if row.starts_on >= day:
            if clash is None:
                row.tutor_id = successor.id
            else:
                db.session.delete(row)
        else:
            old_end = row.ends_on
            row.ends_on = day - timedelta(days=1)
            if clash is None:
                db.session.add(
                    TutorAssignment(
                        group_id=row.group_id,
                        tutor_id=successor.id,
                        starts_on=day,
                        ends_on=old_end,
                        basis_number=row.basis_number,
                        basis_date=row.basis_date,
                        basis_document_id=row.basis_document_id,
                    )
                )
        moved += 1
        audit.record(
            "tutor.handed_over",
            actor=actor,
            obj=row,
            summary=f"{person.full_name} → {_name(successor)}",
            group_id=row.group_id,
            successor_id=successor.id if successor else None,
        )
    return moved


register_handover(
    "tutorships",
    _l("Tutorships of groups"),
    count=_count_tutorships,
    transfer=_transfer_tutorships,
    check=_has_role(Role.TUTOR, _l("%(name)s is not a tutor: give them the tutor role first.")),
)


# --- teaching -------------------------------------------------------------------------------


def _count_teaching(person: User, day: date) -> int:
    query = select(func.count(TeachingAssignment.id)).where(
        TeachingAssignment.teacher_id == person.id
    )
    return db.session.scalar(query) or 0


def _transfer_teaching(person: User, successor: User | None, day: date, actor) -> int:
    rows = db.session.scalars(
        select(TeachingAssignment).where(TeachingAssignment.teacher_id == person.id)
    ).all()
    theirs = (
        set(
            db.session.execute(
                select(TeachingAssignment.group_id, TeachingAssignment.discipline_id).where(
                    TeachingAssignment.teacher_id == successor.id
                )
            ).all()
        )
        if successor is not None
        else set()
    )
    for row in rows:
        if successor is None or (row.group_id, row.discipline_id) in theirs:
            db.session.delete(row)
        else:
            row.teacher_id = successor.id
    if rows:
        audit.record(
            "teaching.handed_over",
            actor=actor,
            obj=person,
            summary=f"{person.full_name} → {_name(successor)}",
            count=len(rows),
            successor_id=successor.id if successor else None,
        )
    return len(rows)


register_handover(
    "teaching",
    _l("Disciplines taught to groups"),
    count=_count_teaching,
    transfer=_transfer_teaching,
    check=_has_role(
        Role.TEACHER, _l("%(name)s is not a teacher: give them the teacher role first.")
    ),
)


# --- extracurricular groups -----------------------------------------------------------------


def _count_clubs(person: User, day: date) -> int:
    query = select(func.count(ExtracurricularGroup.id)).where(
        ExtracurricularGroup.leader_id == person.id
    )
    return db.session.scalar(query) or 0


def _transfer_clubs(person: User, successor: User | None, day: date, actor) -> int:
    clubs = db.session.scalars(
        select(ExtracurricularGroup).where(ExtracurricularGroup.leader_id == person.id)
    ).all()
    for club in clubs:
        club.leader_id = successor.id if successor else None
    audit.record(
        "club.handed_over",
        actor=actor,
        obj=person,
        summary=f"{person.full_name} → {_name(successor)}",
        count=len(clubs),
    )
    return len(clubs)


register_handover(
    "clubs",
    _l("Clubs and sections led"),
    count=_count_clubs,
    transfer=_transfer_clubs,
    check=_has_role(
        Role.TEACHER, _l("%(name)s is not a teacher: give them the teacher role first.")
    ),
)


# --- invitation links: revoked, not passed on -----------------------------------------------


def _live_invitations(person: User):
    return (
        Invitation.created_by_id == person.id,
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > utcnow(),
        Invitation.uses < Invitation.max_uses,
    )


def _count_invitations(person: User, day: date) -> int:
    return (
        db.session.scalar(select(func.count(Invitation.id)).where(*_live_invitations(person))) or 0
    )


def _revoke_invitations(person: User, successor: User | None, day: date, actor) -> int:
    links = db.session.scalars(select(Invitation).where(*_live_invitations(person))).all()
    now = utcnow()
    for link in links:
        link.revoked_at = now
        link.revoked_by_id = actor.id if actor else None
    audit.record(
        "invitation.revoked_on_leaving",
        actor=actor,
        obj=person,
        summary=person.full_name,
        count=len(links),
    )
    return len(links)


register_handover(
    "invitations",
    _l("Invitation links still open (they are revoked)"),
    count=_count_invitations,
    transfer=_revoke_invitations,
    needs_successor=False,
)


# --- help desk: open tickets, through the help desk's own assignment ------------------------


def _open_tickets(person: User):
    from intranet.models.helpdesk import ACTIVE_STATUSES, Ticket

    return select(Ticket).where(
        Ticket.assignee_id == person.id, Ticket.status.in_(list(ACTIVE_STATUSES))
    )


def _count_tickets(person: User, day: date) -> int:
    from intranet.models.helpdesk import Ticket

    query = _open_tickets(person).with_only_columns(func.count(Ticket.id))
    return db.session.scalar(query) or 0


def _transfer_tickets(person: User, successor: User | None, day: date, actor) -> int:
    """To the successor if they work the queue, otherwise back to the queue unassigned."""
    from intranet import policy
    from intranet.services.errors import DomainError
    from intranet.services.helpdesk import tickets

    target = (
        successor if successor is not None and policy.can(successor, "helpdesk.manage") else None
    )
    rows = db.session.scalars(_open_tickets(person)).all()
    for ticket in rows:
        try:
            with db.session.begin_nested():
                tickets.assign(ticket, target, actor=actor)
        except (DomainError, AttributeError):
            # The actor can no longer work the queue (or the movement has no actor left):
            # the ticket goes back to the queue, where any administrator picks it up.
            ticket.assignee_id = None
    return len(rows)


register_handover(
    "helpdesk.tickets",
    _l(
        "Open help-desk tickets (to the successor if they are an administrator, otherwise back "
        "to the queue)"
    ),
    count=_count_tickets,
    transfer=_transfer_tickets,
    needs_successor=False,
)


# --- channels: named reviewers of stages and of open review rounds --------------------------


def _named_stage_rows(person: User):
    from intranet.models.channels import channel_stage_approver

    return select(channel_stage_approver.c.stage_id).where(
        channel_stage_approver.c.user_id == person.id
    )


def _open_rounds_naming(person: User) -> list:
    from intranet.models.channels import ReviewRound, RoundState

    rounds = db.session.scalars(select(ReviewRound).where(ReviewRound.state == RoundState.OPEN))
    return [
        r
        for r in rounds
        if any(person.id in (stage.get("people") or []) for stage in (r.stages or []))
    ]


def _count_reviews(person: User, day: date) -> int:
    stages = db.session.scalar(
        select(func.count()).select_from(_named_stage_rows(person).subquery())
    )
    return (stages or 0) + len(_open_rounds_naming(person))


def _transfer_reviews(person: User, successor: User | None, day: date, actor) -> int:
    """The successor takes the leaving person's place among the named reviewers; with no
    successor the place is dropped and the stage's role (or the admins) decide."""
    from intranet.models.channels import channel_stage_approver as link

    stage_ids = list(db.session.scalars(_named_stage_rows(person)))
    db.session.execute(delete(link).where(link.c.user_id == person.id))
    if successor is not None and stage_ids:
        already = set(
            db.session.scalars(
                select(link.c.stage_id).where(
                    link.c.user_id == successor.id, link.c.stage_id.in_(stage_ids)
                )
            )
        )
        rows = [{"stage_id": s, "user_id": successor.id} for s in stage_ids if s not in already]
        if rows:
            db.session.execute(link.insert(), rows)
    rounds = _open_rounds_naming(person)
    for round_ in rounds:
        stages = []
        for stage in round_.stages:
            people = [p for p in (stage.get("people") or []) if p != person.id]
            named = person.id in (stage.get("people") or [])
            if named and successor is not None and successor.id not in people:
                people.append(successor.id)
            stages.append({**stage, "people": people})
        round_.stages = stages  # a new list, so the JSON change is saved
    if stage_ids or rounds:
        audit.record(
            "channels.reviewers_handed_over",
            actor=actor,
            obj=person,
            summary=f"{person.full_name} → {_name(successor)}",
            stages=len(stage_ids),
            rounds=len(rounds),
        )
    return len(stage_ids) + len(rounds)


register_handover(
    "channels.reviews",
    _l("Places among the named reviewers of channels and pending reviews"),
    count=_count_reviews,
    transfer=_transfer_reviews,
    needs_successor=False,
)
