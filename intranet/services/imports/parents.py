"""Importing parents (законные представители), matched on the e-journal's ID and linked to
their children by the children's IDs; a parent of several children has a row per child."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from intranet.extensions import db
from intranet.models import Guardian, Role, User, UserRole
from intranet.models.base import utcnow
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
from intranet.services.imports.students import _roles_of

ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("Код родителя", "external_id", "ID", "Код", "Идентификатор"),
    **PERSON_ALIASES,
    "student": (
        "Код обучающегося",
        "student_external_id",
        "Код ребёнка",
        "Обучающийся (код)",
        "student",
    ),
    "relation": ("Кем приходится", "relation", "Степень родства"),
}
REQUIRED = (
    ("external_id", "last_name", "first_name", "student"),
    ("external_id", "full_name", "student"),
)
TEMPLATE = (
    [
        "Код родителя",
        "Фамилия",
        "Имя",
        "Отчество",
        "Код обучающегося",
        "Кем приходится",
        "E-mail",
        "Телефон",
    ],
    ["PR-000456", "Смирнова", "Ольга", "Петровна", "ST-000123", "мать", "", "8 912 765-43-21"],
)


@dataclass
class ParentPlan:
    preview: Preview
    new: list[PersonRow] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    add_role: list[int] = field(default_factory=list)
    # (parent external id, student id, relation) for links that do not exist yet
    links: list[tuple[str, int, str]] = field(default_factory=list)


def plan(table: Table, *, starts_on: date | None = None) -> ParentPlan:
    """What importing the table would do; nothing is written."""
    preview = Preview("parents", table.encoding, table.delimiter, total=len(table.rows))
    result = ParentPlan(preview)
    parsed: list[tuple[PersonRow, str, str]] = []
    for line, values in table.rows:
        person = parse_person(line, values, preview)
        if person is None:
            continue
        student = " ".join(values.get("student", "").split())
        if not student:
            preview.error(line, _("no ID of the child"))
            continue
        parsed.append((person, student, " ".join(values.get("relation", "").split())[:40]))
    students = _students(s for _p, s, _r in parsed)
    first: dict[str, PersonRow] = {}
    rows: list[tuple[PersonRow, int, str]] = []
    for person, student_ext, relation in parsed:
        student_id = students.get(student_ext)
        if student_id is None:
            preview.error(person.line, _("there is no student with the ID %(id)s", id=student_ext))
            continue
        earlier = first.get(person.external_id)
        if earlier is not None and earlier.values() != person.values():
            preview.error(
                person.line,
                _(
                    "the ID %(id)s is in an earlier row with other data (line %(line)d)",
                    id=person.external_id,
                    line=earlier.line,
                ),
            )
            continue
        first.setdefault(person.external_id, person)
        rows.append((person, student_id, relation))
    unique = check_contacts(list(first.values()), preview)
    valid = {p.external_id for p in unique}
    rows = [r for r in rows if r[0].external_id in valid]
    stored = existing_people(valid)
    ids = [s["id"] for s in stored.values()]
    roles = _roles_of(ids)
    linked = _links(ids)
    now = utcnow()
    refused: set[str] = set()
    noted: dict[str, Change] = {}
    for person in unique:
        known = stored.get(person.external_id)
        if known is None:
            result.new.append(person)
            continue
        their_roles = roles.get(known["id"], set())
        if their_roles and Role.PARENT not in their_roles:
            preview.error(
                person.line,
                _("the ID %(id)s belongs to someone who is not a parent", id=person.external_id),
            )
            refused.add(person.external_id)
            continue
        fields = changed_fields(person, known)
        if fields:
            result.updates.append(update_row(person, known, now))
        if Role.PARENT not in their_roles:
            result.add_role.append(known["id"])
            fields.append("role")
        noted[person.external_id] = Change(
            person.line, person.external_id, person.full_name, "same", fields
        )
    seen_links: set[tuple[str, int]] = set()
    for person, student_id, relation in rows:
        if person.external_id in refused or (person.external_id, student_id) in seen_links:
            continue
        seen_links.add((person.external_id, student_id))
        known = stored.get(person.external_id)
        if known is not None and (known["id"], student_id) in linked:
            continue
        result.links.append((person.external_id, student_id, relation))
        if known is not None and "children" not in noted[person.external_id].fields:
            noted[person.external_id].fields.append("children")
    new_ids = {p.external_id for p in result.new}
    for person in unique:
        if person.external_id in refused:
            continue
        if person.external_id in new_ids:
            children = sum(1 for ext, _s, _r in result.links if ext == person.external_id)
            preview.note(
                Change(
                    person.line,
                    person.external_id,
                    person.full_name,
                    "new",
                    detail=_("children: %(n)d", n=children),
                )
            )
        else:
            change = noted[person.external_id]
            change.action = "update" if change.fields else "same"
            change.fields = [field_label(f) for f in change.fields]
            preview.note(change)
    return result


def _students(external_ids) -> dict[str, int]:
    """Students' external id → id (only people with the student role)."""
    found: dict[str, int] = {}
    for part in chunks(set(external_ids)):
        for uid, ext in db.session.execute(
            select(User.id, User.external_id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.external_id.in_(part), UserRole.role == Role.STUDENT)
        ):
            found[ext] = uid
    return found


def _links(parent_ids: list[int]) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    for part in chunks(parent_ids):
        rows = db.session.execute(
            select(Guardian.parent_id, Guardian.student_id).where(Guardian.parent_id.in_(part))
        )
        found.update((parent_id, student_id) for parent_id, student_id in rows)
    return found


def run(result: ParentPlan, *, actor: User, starts_on: date | None = None) -> dict[str, int]:
    """Write the plan in bulk: one statement per table."""
    now = utcnow()
    new_ids = insert_rows(User, [user_row(p, now) for p in result.new], key="external_id")
    ids = dict(zip((p.external_id for p in result.new), new_ids, strict=True))
    known = existing_people({ext for ext, _s, _r in result.links if ext not in ids})
    ids.update({ext: row["id"] for ext, row in known.items()})
    insert_rows(
        UserRole,
        [
            {
                "user_id": uid,
                "role": Role.PARENT,
                "is_main": False,
                "granted_at": now,
                "granted_by_id": actor.id,
            }
            for uid in [*new_ids, *result.add_role]
        ],
    )
    if result.updates:
        db.session.execute(update(User), result.updates)
    insert_rows(
        Guardian,
        [
            {
                "parent_id": ids[ext],
                "student_id": sid,
                "relation": relation,
                "is_confirmed": True,
                "created_at": now,
            }
            for ext, sid, relation in result.links
        ],
    )
    db.session.flush()
    return {
        "new": len(new_ids),
        "updated": result.preview.updated,
        "unchanged": result.preview.unchanged,
        "links": len(result.links),
        "skipped": result.preview.error_count,
    }
