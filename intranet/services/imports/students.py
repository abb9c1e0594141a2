"""Importing students with their groups, matched on the e-journal's ID: new people are added
(without a password, until they activate), changed ones updated, a changed group becomes a
transfer from the chosen date; a second run of the same file changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert, select, update

from intranet.extensions import db
from intranet.models import (
    Enrollment,
    Movement,
    MovementKind,
    MovementStatus,
    Role,
    StudyGroup,
    User,
    UserRole,
)
from intranet.models.base import fold, utcnow
from intranet.services.imports.common import (
    PERSON_ALIASES,
    Change,
    PersonRow,
    Preview,
    changed_fields,
    check_contacts,
    chunks,
    existing_people,
    field_label,
    insert_rows,
    parse_person,
    update_row,
    user_row,
)
from intranet.services.imports.reading import Table
from intranet.services.movement.core import day_before

ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": (
        "Код обучающегося",
        "external_id",
        "ID",
        "Код",
        "Идентификатор",
        "Номер личного дела",
    ),
    **PERSON_ALIASES,
    "group": ("Группа", "group", "Учебная группа"),
}
REQUIRED = (
    ("external_id", "last_name", "first_name", "group"),
    ("external_id", "full_name", "group"),
)
TEMPLATE = (
    ["Код обучающегося", "Фамилия", "Имя", "Отчество", "Группа", "E-mail", "Телефон"],
    ["ST-000123", "Смирнова", "Анна", "Игоревна", "ИСП-24-1", "", "8 912 345-67-89"],
)


@dataclass
class StudentPlan:
    preview: Preview
    new: list[tuple[PersonRow, int]] = field(default_factory=list)  # (row, group id)
    updates: list[dict[str, Any]] = field(default_factory=list)
    add_role: list[int] = field(default_factory=list)
    enroll: list[tuple[int, int]] = field(default_factory=list)  # (user id, group id)
    # (user id, ended enrollment id, new group id, old group id)
    transfers: list[tuple[int, int, int, int]] = field(default_factory=list)
    regroup: list[tuple[int, int]] = field(default_factory=list)  # (enrollment id, group id)


def plan(table: Table, *, starts_on: date) -> StudentPlan:
    """What importing the table would do; nothing is written."""
    preview = Preview("students", table.encoding, table.delimiter, total=len(table.rows))
    result = StudentPlan(preview)
    groups = {
        fold(name): (gid, archived, name)
        for gid, name, archived in db.session.execute(
            select(StudyGroup.id, StudyGroup.name, StudyGroup.is_archived)
        )
    }
    rows: list[tuple[PersonRow, tuple[int, bool, str]]] = []
    seen: set[str] = set()
    for line, values in table.rows:
        person = parse_person(line, values, preview)
        group_name = " ".join(values.get("group", "").split())
        group = groups.get(fold(group_name))
        if person is None:
            continue
        if person.external_id in seen:
            preview.error(line, _("the ID %(id)s is in an earlier row too", id=person.external_id))
            continue
        seen.add(person.external_id)
        if not group_name:
            preview.error(line, _("no group"))
        elif group is None:
            preview.error(line, _("there is no group «%(name)s»", name=group_name))
        elif group[1]:
            preview.error(line, _("the group %(name)s is archived", name=group[2]))
        else:
            rows.append((person, group))
    valid = {p.external_id for p in check_contacts([p for p, _g in rows], preview)}
    rows = [(p, g) for p, g in rows if p.external_id in valid]
    stored = existing_people(p.external_id for p, _g in rows)
    ids = [s["id"] for s in stored.values()]
    roles = _roles_of(ids)
    current = _enrollments_on(ids, starts_on)
    later = _later_enrollments(ids, starts_on)
    group_names = {gid: name for gid, _archived, name in groups.values()}
    now = utcnow()
    for person, (group_id, _archived, group_name) in rows:
        known = stored.get(person.external_id)
        if known is None:
            result.new.append((person, group_id))
            preview.note(
                Change(person.line, person.external_id, person.full_name, "new", detail=group_name)
            )
            continue
        uid = known["id"]
        their_roles = roles.get(uid, set())
        if their_roles and Role.STUDENT not in their_roles:
            preview.error(
                person.line,
                _("the ID %(id)s belongs to someone who is not a student", id=person.external_id),
            )
            continue
        fields = changed_fields(person, known)
        detail = ""
        enrollment = current.get(uid)
        if enrollment is None or enrollment[1] != group_id:
            if uid in later:
                preview.error(
                    person.line,
                    _("the student is already enrolled from a later date; import from that date"),
                )
                continue
            fields.append("group")
            detail = " → ".join(
                n for n in (group_names.get(enrollment[1]) if enrollment else "", group_name) if n
            )
            if enrollment is None:
                result.enroll.append((uid, group_id))
            elif enrollment[2] >= starts_on:
                result.regroup.append((enrollment[0], group_id))
            else:
                result.transfers.append((uid, enrollment[0], group_id, enrollment[1]))
        if Role.STUDENT not in their_roles:
            result.add_role.append(uid)
            fields.append("role")
        if any(f in fields for f in ("last_name", "first_name", "middle_name", "email", "phone")):
            result.updates.append(update_row(person, known, now))
        action = "update" if fields else "same"
        preview.note(
            Change(
                person.line,
                person.external_id,
                person.full_name,
                action,
                [field_label(f) for f in fields],
                detail,
            )
        )
    return result


def _roles_of(user_ids: list[int]) -> dict[int, set[Role]]:
    found: dict[int, set[Role]] = {}
    for part in chunks(user_ids):
        for uid, role in db.session.execute(
            select(UserRole.user_id, UserRole.role).where(UserRole.user_id.in_(part))
        ):
            found.setdefault(uid, set()).add(role)
    return found


def _enrollments_on(user_ids: list[int], day: date) -> dict[int, tuple[int, int, date]]:
    """student id → (enrollment id, group id, starts_on) of the enrollment covering the day."""
    found: dict[int, tuple[int, int, date]] = {}
    for part in chunks(user_ids):
        for eid, sid, gid, starts in db.session.execute(
            select(Enrollment.id, Enrollment.student_id, Enrollment.group_id, Enrollment.starts_on)
            .where(
                Enrollment.student_id.in_(part),
                Enrollment.starts_on <= day,
                (Enrollment.ends_on.is_(None)) | (Enrollment.ends_on >= day),
            )
            .order_by(Enrollment.starts_on)
        ):
            found[sid] = (eid, gid, starts)
    return found


def _later_enrollments(user_ids: list[int], day: date) -> set[int]:
    found: set[int] = set()
    for part in chunks(user_ids):
        found.update(
            db.session.scalars(
                select(Enrollment.student_id).where(
                    Enrollment.student_id.in_(part), Enrollment.starts_on > day
                )
            )
        )
    return found


def run(result: StudentPlan, *, actor: User, starts_on: date) -> dict[str, int]:
    """Write the plan in bulk: one statement per table (per 500 rows for the lookups)."""
    now = utcnow()
    new_ids = insert_rows(User, [user_row(p, now) for p, _g in result.new], key="external_id")
    reason = _("Imported from the e-journal")
    role_rows = [
        {
            "user_id": uid,
            "role": Role.STUDENT,
            "is_main": False,
            "granted_at": now,
            "granted_by_id": actor.id,
        }
        for uid in [*new_ids, *result.add_role]
    ]
    insert_rows(UserRole, role_rows)
    enrollments = [
        {
            "student_id": uid,
            "group_id": gid,
            "starts_on": starts_on,
            "ends_on": None,
            "reason": reason,
        }
        for uid, (_p, gid) in zip(new_ids, result.new, strict=True)
    ]
    enrollments += [
        {
            "student_id": uid,
            "group_id": gid,
            "starts_on": starts_on,
            "ends_on": None,
            "reason": reason,
        }
        for uid, gid in result.enroll
    ]
    enrollments += [
        {
            "student_id": uid,
            "group_id": gid,
            "starts_on": starts_on,
            "ends_on": None,
            "reason": reason,
        }
        for uid, _eid, gid, _from in result.transfers
    ]
    if result.updates:
        db.session.execute(update(User), result.updates)
    if result.transfers:
        db.session.execute(
            update(Enrollment),
            [{"id": eid, "ends_on": day_before(starts_on)} for _u, eid, _g, _f in result.transfers],
        )
    if result.regroup:
        db.session.execute(
            update(Enrollment), [{"id": eid, "group_id": gid} for eid, gid in result.regroup]
        )
    insert_rows(Enrollment, enrollments)
    if result.transfers:
        db.session.execute(
            insert(Movement).execution_options(render_nulls=True),
            [
                {
                    "kind": MovementKind.TRANSFER,
                    "status": MovementStatus.APPLIED,
                    "person_id": uid,
                    "effective_on": starts_on,
                    "from_group_id": from_gid,
                    "to_group_id": gid,
                    "basis_id": None,
                    "comment": reason,
                    "ended_enrollment_id": eid,
                    "outcome": {},
                    "created_by_id": actor.id,
                    "created_at": now,
                    "applied_at": now,
                }
                for uid, eid, gid, from_gid in result.transfers
            ],
        )
    db.session.flush()
    return {
        "new": len(new_ids),
        "updated": result.preview.updated,
        "unchanged": result.preview.unchanged,
        "transfers": len(result.transfers),
        "skipped": result.preview.error_count,
    }
