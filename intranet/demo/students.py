"""Demo step: students, their parents, enrollments and movements between groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from intranet.demo.bulk import activated, grant, insert_rows, user_row
from intranet.demo.catalogue import SPECIALITIES
from intranet.demo.college import NAMED
from intranet.demo.context import DemoContext, GroupInfo
from intranet.demo.names import MIDDLE_WOMEN, Person
from intranet.models import Enrollment, Guardian, Role, User
from intranet.models.base import utcnow

SPECS = {spec.code: spec for spec in SPECIALITIES}
# Group sizes by course: first-years are the most; some leave on the way.
GROUP_SIZE = {1: (20, 26), 2: (19, 25), 3: (17, 24), 4: (15, 22)}
EXPELLED_SHARE = 0.012
TRANSFER_SHARE = 0.02
SIBLING_SHARE = 0.015  # a younger brother or sister of a student in another group
# Who answers for a student: both parents, the mother, the father, or a guardian.
FAMILY_SHAPES = ((0.40, ("мать", "отец")), (0.83, ("мать",)), (0.99, ("отец",)), (1.0, ("опекун",)))


@dataclass
class _Family:
    surname: str  # masculine form
    father: str  # the father's first name gives the children's patronymic
    parents: list[tuple[int, str]] = field(default_factory=list)  # (parent index, relation)


class _Roster:
    """Rows collected in memory, then inserted with one statement per table."""

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.students: list[dict[str, Any]] = []
        self.current: list[GroupInfo | None] = []  # each student's group now
        self.parents: list[dict[str, Any]] = []
        self.links: list[tuple[int, int, str]] = []  # (parent index, student index, relation)
        self.enrollments: list[tuple[int, dict[str, Any]]] = []  # (student index, row)
        self.families: list[_Family] = []
        self.expelled = 0
        self.transferred = 0
        self.intake = {group.id: self._intake(group) for group in ctx.groups}

    def _intake(self, group: GroupInfo) -> tuple[date, str]:
        """The day a group's students were enrolled and the reason their enrollment gives."""
        if group.has_tutor:
            first_day, reason = date(group.admission_year, 9, 1), "Зачисление"
        else:
            first_day, reason = (
                self.ctx.today - timedelta(days=2),
                "Зачисление (дополнительный набор)",
            )
        signed = first_day - timedelta(days=self.ctx.rng.randint(2, 6))
        return first_day, f"{reason}, приказ № {self.ctx.order('к', signed)} от {signed:%d.%m.%Y}"

    def contacts(self, person: Person, *, email: float, phone: float, year=None) -> None:
        """An e-mail and a phone with these probabilities; at least one of them."""
        rng, people = self.ctx.rng, self.ctx.people
        if rng.random() < email:
            person.email = people.personal_email(person, year)
        if rng.random() < phone or person.email is None:
            person.phone = people.mobile()

    def parent(self, person: Person, relation: str) -> tuple[int, str]:
        # Many parents give the tutor only a phone number.
        self.contacts(person, email=0.6, phone=0.97)
        person.external_id = self.ctx.people.external_id()
        password_hash, last_login = activated(self.ctx, 0.55)
        self.parents.append(user_row(person, password_hash=password_hash, last_login_at=last_login))
        return len(self.parents) - 1, relation

    def family(self) -> _Family:
        """A new family with its parents, or now and then one that already has a student."""
        rng, people = self.ctx.rng, self.ctx.people
        if self.families and rng.random() < SIBLING_SHARE:
            return rng.choice(self.families)
        family = _Family(people.family_name(), people.father_name())
        draw = rng.random()
        shape = next(relations for limit, relations in FAMILY_SHAPES if draw < limit)
        for relation in shape:
            if relation == "отец":
                person = people.person(female=False, family=family.surname, first=family.father)
            elif relation == "мать":
                # Most mothers share the family name; some kept their own.
                own = rng.random() < 0.12
                surname = people.family_name() if own else family.surname
                person = people.person(female=True, family=surname)
            else:
                first = rng.choice(MIDDLE_WOMEN)
                person = people.person(female=True, family=family.surname, first=first)
            family.parents.append(self.parent(person, relation))
        self.families.append(family)
        return family

    def student(self, group: GroupInfo) -> None:
        """One student of this group with a family, an enrollment and perhaps a movement."""
        ctx, rng = self.ctx, self.ctx.rng
        first_day, enrolled = self.intake[group.id]
        female = rng.random() >= SPECS[group.speciality_code].male_share
        family = self.family()
        person = ctx.people.person(
            female=female, family=family.surname, father=family.father, generation="young"
        )
        birth_year = group.admission_year - rng.choice((15, 15, 15, 16, 17))
        self.contacts(person, email=0.85, phone=0.8, year=birth_year)
        person.external_id = ctx.people.external_id()
        index = len(self.students)
        ending = "а" if female else ""
        row: dict[str, Any] = {
            "group_id": group.id,
            "starts_on": first_day,
            "ends_on": None,
            "reason": enrolled,
        }
        now_in: GroupInfo | None = group
        studied = (ctx.today - first_day).days
        if studied > 60 and group.has_tutor and rng.random() < EXPELLED_SHARE:
            self.expelled += 1
            now_in = None
            left = ctx.recent_day(first_day + timedelta(days=30))
            row["ends_on"] = left
            row["reason"] = (
                f"{enrolled}; отчислен{ending} по собственному желанию, "
                f"приказ № {ctx.order('к', left)} от {left:%d.%m.%Y}"
            )
        elif studied > 365 and rng.random() < TRANSFER_SHARE:
            self.transferred += 1
            same_year = [g for g in ctx.groups if g.admission_year == group.admission_year]
            before = rng.choice([g for g in same_year if g is not group and g.has_tutor])
            moved = ctx.recent_day(first_day + timedelta(days=90))
            order = f"приказ № {ctx.order('к', moved)} от {moved:%d.%m.%Y}"
            earlier = {
                "group_id": before.id,
                "starts_on": first_day,
                "ends_on": moved - timedelta(days=1),
                "reason": f"{self.intake[before.id][1]}; переведён{ending} в группу {group.name}",
            }
            self.enrollments.append((index, earlier))
            row["starts_on"] = moved
            row["reason"] = f"Перевод из группы {before.name}, {order}"
        self.enrollments.append((index, row))
        password_hash, last_login = activated(ctx, 0.7 if now_in else 0.0)
        self.students.append(
            user_row(
                person,
                password_hash=password_hash,
                last_login_at=last_login,
                is_active=now_in is not None,
            )
        )
        self.current.append(now_in)
        self.links += [(p, index, relation) for p, relation in family.parents]


def students_and_parents(ctx: DemoContext) -> None:
    """About 1,000 students per scale unit, 1,400 parents, enrollments and movements."""
    roster = _Roster(ctx)
    rng = ctx.rng
    demo_mother = None
    for group in ctx.groups:
        if group.has_tutor:
            size = rng.randint(*GROUP_SIZE[min(group.course, 4)])
        else:
            size = rng.randint(12, 15)
        if group is ctx.demo_group:
            size -= 1  # the named student is one of them
            mother = ctx.people.person(female=True, family=NAMED["parent"][0])
            demo_mother = roster.parent(mother, "мать")
        for _ in range(size):
            roster.student(group)

    student_ids = insert_rows(User, roster.students, "external_id")
    parent_ids = insert_rows(User, roster.parents, "external_id")
    grant(ctx, student_ids, Role.STUDENT)
    grant(ctx, parent_ids, Role.PARENT)

    student, father = ctx.accounts["student"], ctx.accounts["parent"]
    rows = [{"student_id": student_ids[i], **row} for i, row in roster.enrollments]
    rows.append(
        {
            "student_id": student.id,
            "group_id": ctx.demo_group.id,
            "starts_on": roster.intake[ctx.demo_group.id][0],
            "ends_on": None,
            "reason": roster.intake[ctx.demo_group.id][1],
        }
    )
    insert_rows(Enrollment, rows)
    ctx.demo_group.student_ids.append(student.id)
    for sid, group in zip(student_ids, roster.current, strict=True):
        if group is not None:
            group.student_ids.append(sid)

    links = [(parent_ids[p], student_ids[s], relation) for p, s, relation in roster.links]
    links += [(father.id, student.id, "отец"), (parent_ids[demo_mother[0]], student.id, "мать")]
    now = utcnow()
    insert_rows(
        Guardian,
        [
            {
                "parent_id": parent_id,
                "student_id": student_id,
                "relation": relation,
                "is_confirmed": True,
                "created_at": now,
            }
            for parent_id, student_id, relation in links
        ],
    )
    ctx.count("Обучающиеся в группах", sum(len(g.student_ids) for g in ctx.groups))
    ctx.count("Отчислены", roster.expelled)
    ctx.count("Переведены из другой группы", roster.transferred)
    ctx.count("Родители (законные представители)", len(parent_ids) + 1)
    ctx.count("Связи «родитель — обучающийся»", len(links))
