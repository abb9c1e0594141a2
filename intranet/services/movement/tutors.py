"""Tutor distribution (§2.1): tutors attached to groups by the head's approved distribution, each
assignment naming its order in the documents register; the history stays."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from intranet.extensions import db
from intranet.models import StudyGroup, TutorAssignment, User
from intranet.services import audit, documents, structure
from intranet.services.errors import InvalidTransition, ValidationFailed
from intranet.services.movement import core


def distribution(today: date) -> list[tuple[StudyGroup, list[TutorAssignment]]]:
    """Every open group with its tutors on this day, in two queries."""
    groups = db.session.scalars(
        select(StudyGroup).where(StudyGroup.is_archived.is_(False)).order_by(StudyGroup.name_key)
    ).all()
    rows = db.session.scalars(
        select(TutorAssignment)
        .options(joinedload(TutorAssignment.tutor))
        .join(StudyGroup, StudyGroup.id == TutorAssignment.group_id)
        .where(StudyGroup.is_archived.is_(False), core.covering(TutorAssignment, today))
    ).all()
    by_group: dict[int, list[TutorAssignment]] = {}
    for row in rows:
        by_group.setdefault(row.group_id, []).append(row)
    return [(g, by_group.get(g.id, [])) for g in groups]


def assign(
    actor: User,
    *,
    group_id: int | None,
    tutor_id: int | None,
    starts_on: date | None,
    basis_id: int | None,
    replace: bool = True,
) -> TutorAssignment:
    """Attach a tutor to a group from a date by an order; the previous tutor's assignment ends
    the day before (unless both are to work together)."""
    core.require_manage(actor)
    group = db.session.get(StudyGroup, group_id) if group_id else None
    if group is None:
        raise ValidationFailed(_("Choose the group."), "group_id")
    if starts_on is None:
        raise ValidationFailed(_("Enter the date."), "starts_on")
    basis = documents.get_basis(basis_id)
    if replace:
        current = db.session.scalars(
            select(TutorAssignment).where(
                TutorAssignment.group_id == group.id,
                TutorAssignment.tutor_id != (tutor_id or 0),
                core.covering(TutorAssignment, starts_on),
            )
        ).all()
        for row in current:
            if row.starts_on >= starts_on:
                raise InvalidTransition(
                    _("Another tutor's assignment starts on that date; choose a later date.")
                )
            structure.end_tutorship(row, actor=actor, ends_on=core.day_before(starts_on))
    assignment = structure.assign_tutor(
        group,
        actor=actor,
        tutor_id=tutor_id,
        starts_on=starts_on,
        basis_number=basis.number or basis.title[:40],
        basis_date=basis.issued_on,
    )
    assignment.basis_document_id = basis.id
    db.session.flush()
    audit.record(
        "tutor.distributed",
        actor=actor,
        obj=assignment,
        summary=group.name,
        basis=documents.document_label(basis),
        replaced=replace,
    )
    return assignment


def history_query(group_id: int | None = None) -> Select:
    """Tutor assignments, newest first (the distribution's history)."""
    query = (
        select(TutorAssignment)
        .options(joinedload(TutorAssignment.group), joinedload(TutorAssignment.tutor))
        .order_by(TutorAssignment.starts_on.desc(), TutorAssignment.id.desc())
    )
    if group_id:
        query = query.where(TutorAssignment.group_id == group_id)
    return query


def bases_of(assignments: list[TutorAssignment]) -> dict[int, str]:
    """assignment id → the label of its basis document, in one query."""
    ids = {a.basis_document_id for a in assignments if a.basis_document_id}
    if not ids:
        return {}
    from intranet.models import Document

    docs = {d.id: d for d in db.session.scalars(select(Document).where(Document.id.in_(ids)))}
    return {
        a.id: documents.document_label(docs[a.basis_document_id])
        for a in assignments
        if a.basis_document_id in docs
    }
