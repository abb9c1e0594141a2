"""The people of an event: participants, experts (from the college or outside) and the
students of its groups; each addition or removal is audited and e-mailed."""

from __future__ import annotations

import re
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from intranet.extensions import db
from intranet.i18n import local_zone
from intranet.models import Enrollment, Event, EventPerson, PersonRole, User
from intranet.services import audit
from intranet.services.errors import NotFound, ValidationFailed
from intranet.services.events import notify
from intranet.services.events.operations import (
    check_conflicts,
    clean,
    require_editable,
    touch,
)
from intranet.services.events.state import lock_schedule

_EMAIL = re.compile(r"^[^@\s<>,;\"()]+@[^@\s<>,;\"()]+\.[^@\s<>,;\"()]+$")


def add_person(
    event: Event,
    *,
    actor: User,
    role: PersonRole,
    email: str = "",
    name: str = "",
    organisation: str = "",
    user_id: int | None = None,
    override_reason: str = "",
) -> EventPerson:
    """Add a participant or expert: a person of the college (by id or e-mail) or from outside
    (name and e-mail); experts are checked for clashes like the responsible person."""
    require_editable(event, actor)
    email = (email or "").strip().lower()
    user = None
    if user_id is not None:
        user = db.session.get(User, user_id)
        if user is None:
            raise ValidationFailed(_("No such person."), "email")
    elif email:
        if not _EMAIL.match(email) or len(email) > 254:
            raise ValidationFailed(_("Enter a valid e-mail address."), "email")
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None and not clean(name, 250):
        raise ValidationFailed(
            _("Nobody at the college has this address: enter the person's full name."), "name"
        )
    if user is not None and not user.is_active:
        raise ValidationFailed(_("This account is disabled."), "email")
    if user is None and role is PersonRole.PARTICIPANT and not email:
        raise ValidationFailed(_("Enter the participant's e-mail address."), "email")
    for person in event.people:
        same = (user is not None and person.user_id == user.id) or (
            user is None and person.user_id is None and email and person.email == email
        )
        if same and person.role is role:
            raise ValidationFailed(_("This person is already on the list."), "email")
    lock_schedule()
    person = EventPerson(
        role=role,
        user=user,
        user_id=user.id if user is not None else None,
        name="" if user is not None else clean(name, 250),
        email="" if user is not None else email,
        organisation=clean(organisation, 300),
    )
    event.people.append(person)
    touch(event)
    db.session.flush()
    check_conflicts(event, actor=actor, override_reason=override_reason)
    audit.record(
        "events.add_person",
        actor=actor,
        obj=event,
        summary=f"{person.display_name} ({role.value})",
    )
    notify.send_invitations(event, people=[person])
    return person


def remove_person(event: Event, person_id: int, *, actor: User) -> None:
    """Take someone off the list; they get a cancellation."""
    require_editable(event, actor)
    person = next((p for p in event.people if p.id == person_id), None)
    if person is None:
        raise NotFound(_("This person is not on the list."))
    notify.send_cancellations(event, people=[person])
    event.people.remove(person)
    touch(event)
    db.session.flush()
    audit.record(
        "events.remove_person",
        actor=actor,
        obj=event,
        summary=f"{person.display_name} ({person.role.value})",
    )


def add_group_students(event: Event, *, actor: User) -> int:
    """Add every current student of the event's groups as a participant; returns how many."""
    require_editable(event, actor)
    group_ids = [g.id for g in event.groups]
    if not group_ids:
        raise ValidationFailed(_("The event has no groups."), "groups")
    today = datetime.now(local_zone()).date()
    students = list(
        db.session.scalars(
            select(User)
            .join(Enrollment, Enrollment.student_id == User.id)
            .where(
                Enrollment.group_id.in_(group_ids),
                Enrollment.starts_on <= today,
                (Enrollment.ends_on.is_(None)) | (Enrollment.ends_on >= today),
                User.is_active.is_(True),
            )
            .order_by(User.name_key)
            .distinct()
        )
    )
    present = {p.user_id for p in event.people if p.role is PersonRole.PARTICIPANT}
    added = []
    for student in students:
        if student.id in present:
            continue
        person = EventPerson(role=PersonRole.PARTICIPANT, user=student, user_id=student.id)
        event.people.append(person)
        added.append(person)
    if added:
        touch(event)
        db.session.flush()
        audit.record(
            "events.add_students", actor=actor, obj=event, summary=event.title, count=len(added)
        )
        notify.send_invitations(event, people=added)
    return len(added)
