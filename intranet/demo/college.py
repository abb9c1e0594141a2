"""Demo steps for the college itself: structure, the named accounts, staff and teaching."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from intranet.demo.bulk import at, grant, insert_rows, user_row
from intranet.demo.catalogue import (
    DEPARTMENTS,
    GENERAL_EDUCATION,
    GENERAL_STAFF,
    ORGANISATION,
    PROFILE_STAFF,
    PROFILE_SUBJECTS,
    SOCIAL_CYCLE,
    SPECIALITIES,
    SpecialityPlan,
    course_plan,
)
from intranet.demo.context import DEMO_PASSWORD, DemoContext, GroupInfo
from intranet.demo.names import Person
from intranet.extensions import db
from intranet.models import (
    Department,
    Discipline,
    Organisation,
    Platform,
    Role,
    Speciality,
    StudyGroup,
    TeacherStatus,
    TeachingAssignment,
    TutorAssignment,
    User,
)
from intranet.models.base import fold, utcnow
from intranet.services import accounts as account_service
from intranet.services import audit, security

SPECS = {spec.code: spec for spec in SPECIALITIES}
DEMO_SPECIALITY = "09.02.07"
# The extra intake group opened a few days ago and still waiting for its tutor's order:
# it puts the «группа без тьютора» item on the admin's home page.
UNTUTORED_SPECIALITY = "40.02.04"

# The named accounts: key → (surname, name, patronymic, roles). Every one signs in with
# DEMO_PASSWORD at <key>@demo.college.
NAMED = {
    "admin": ("Смирнова", "Ирина", "Владимировна", (Role.ADMIN,)),
    "head": ("Колесников", "Андрей", "Викторович", (Role.HEAD,)),
    "deputy": ("Белова", "Наталья", "Сергеевна", (Role.DEPUTY,)),
    "tutor": ("Фёдорова", "Ольга", "Николаевна", (Role.TUTOR, Role.TEACHER)),
    "teacher": ("Ёлкин", "Денис", "Александрович", (Role.TEACHER,)),
    "student": ("Соловьёв", "Артём", "Игоревич", (Role.STUDENT,)),
    "parent": ("Соловьёв", "Игорь", "Петрович", (Role.PARENT,)),
}

PENDING_TEACHERS = 4  # per scale unit
# Women make up most of a college's teaching staff, fewer in workshops and the gym.
FEMALE_SHARE = {"sport": 0.45, "safety": 0.3, "auto": 0.2, "build": 0.45, "it": 0.55}


# --- steps ------------------------------------------------------------------------------------


def structure(ctx: DemoContext) -> None:
    """The organisation, departments, specialities, disciplines and study groups."""
    db.session.add(Organisation(platform=Platform.VK, **ORGANISATION))
    names = list(DEPARTMENTS.values())
    ids = insert_rows(Department, [{"name": n, "name_key": fold(n)} for n in names], "name")
    ctx.department_ids = dict(zip(DEPARTMENTS, ids, strict=True))

    ids = insert_rows(
        Speciality,
        [{"code": s.code, "name": s.name, "name_key": fold(s.name)} for s in SPECIALITIES],
        "code",
    )
    ctx.speciality_ids = dict(zip(SPECS, ids, strict=True))

    disciplines = [*GENERAL_EDUCATION, *PROFILE_SUBJECTS.items(), *SOCIAL_CYCLE]
    for spec in SPECIALITIES:
        disciplines += [(f"{spec.code} {code}", name) for code, name in spec.general]
        disciplines += [(f"{spec.code} {code}", name) for code, name in spec.modules]
    ids = insert_rows(
        Discipline, [{"code": c, "name": n, "name_key": fold(n)} for c, n in disciplines], "code"
    )
    ctx.discipline_ids = dict(zip((c for c, _ in disciplines), ids, strict=True))

    plans: list[tuple[str, SpecialityPlan, int, datetime, bool]] = []
    for spec in SPECIALITIES:
        for year in range(ctx.academic_year - spec.years + 1, ctx.academic_year + 1):
            count = spec.groups_per_year * ctx.scale
            for number in range(1, count + 1):
                name = f"{spec.prefix}-{year % 100:02d}-{number}"
                plans.append((name, spec, year, at(date(year, 8, 20)), True))
            if spec.code == UNTUTORED_SPECIALITY and year == ctx.academic_year:
                name = f"{spec.prefix}-{year % 100:02d}-{count + 1}"
                plans.append((name, spec, year, utcnow() - timedelta(days=2), False))
    rows = [
        {
            "name": name,
            "name_key": fold(name),
            "speciality_id": ctx.speciality_ids[spec.code],
            "department_id": ctx.department_ids[spec.department],
            "admission_year": year,
            "created_at": created,
            "updated_at": created,
        }
        for name, spec, year, created, _ in plans
    ]
    ids = insert_rows(StudyGroup, rows, "name")
    for gid, (name, spec, year, _, tutored) in zip(ids, plans, strict=True):
        ctx.groups.append(
            GroupInfo(
                id=gid,
                name=name,
                speciality_code=spec.code,
                department=spec.department,
                admission_year=year,
                course=ctx.academic_year - year + 1,
                has_tutor=tutored,
            )
        )
    ctx.demo_group = next(
        g
        for g in ctx.groups
        if g.speciality_code == DEMO_SPECIALITY and g.admission_year == ctx.academic_year - 1
    )
    ctx.count("Отделения", len(DEPARTMENTS))
    ctx.count("Специальности", len(SPECIALITIES))
    ctx.count("Учебные группы", len(ctx.groups))
    ctx.count("Дисциплины и МДК", len(disciplines))


def accounts(ctx: DemoContext) -> None:
    """The seven named accounts, each with its own hash of the demo password."""
    ctx.bulk_password_hash = security.hash_password(secrets.token_urlsafe(32))
    admin: User | None = None
    for key, (last, first, middle, roles) in NAMED.items():
        email = f"{key}@demo.college"
        phone = ctx.people.mobile() if key in ("student", "parent", "tutor") else None
        ctx.people.reserve(email=email)
        user = account_service.create_person(
            actor=admin,
            last_name=last,
            first_name=first,
            middle_name=middle,
            email=email,
            phone=phone,
            roles=roles,
            external_id=ctx.people.external_id(),
            password_hash=security.hash_password(DEMO_PASSWORD),
        )
        if admin is None:
            admin = user
            user.roles[0].is_main = True
        if user.is_teaching_staff:
            account_service.confirm_teacher(user, actor=admin)
        user.last_login_at = utcnow() - timedelta(hours=ctx.rng.randint(1, 72))
        ctx.accounts[key] = user
    db.session.flush()


def _staff_person(ctx: DemoContext, pool: str) -> Person:
    person = ctx.people.person(female=ctx.rng.random() < FEMALE_SHARE.get(pool, 0.85))
    person.email = ctx.people.staff_email(person)
    person.phone = ctx.people.mobile() if ctx.rng.random() < 0.9 else None
    person.external_id = ctx.people.external_id()
    return person


def staff(ctx: DemoContext) -> None:
    """Teachers in teaching pools, two more deputies, a second admin, and pending teachers."""
    confirmed_at = at(date(ctx.academic_year, 9, 2))
    confirmed, pending = TeacherStatus.CONFIRMED, TeacherStatus.PENDING
    # (teaching pool or "", roles, status) for every bulk staff member.
    plan: list[tuple[str, tuple[Role, ...], TeacherStatus]] = []
    for pool, n in [*((p, n) for p, (_, n) in GENERAL_STAFF.items()), *PROFILE_STAFF.items()]:
        plan += [(pool, (Role.TEACHER,), confirmed)] * (n * ctx.scale)
    # An IT teacher who is also the second platform administrator, two more deputies, and
    # teachers hired this term who signed up and wait for an admin to confirm their status.
    plan.append(("it", (Role.ADMIN, Role.TEACHER), confirmed))
    plan += [("", (Role.DEPUTY,), confirmed)] * 2
    plan += [("", (Role.TEACHER,), pending)] * (PENDING_TEACHERS * ctx.scale)
    people = [(_staff_person(ctx, pool), pool, roles, status) for pool, roles, status in plan]
    rows = [
        user_row(
            person,
            password_hash=ctx.bulk_password_hash,  # staff have all signed up
            teacher_status=status,
            confirmed_at=confirmed_at if status is confirmed else None,
            last_login_at=utcnow() - timedelta(minutes=ctx.rng.randint(5, 14 * 24 * 60)),
        )
        for person, _, _, status in people
    ]
    ids = insert_rows(User, rows, "external_id")
    by_role: dict[Role, list[int]] = {}
    for uid, (_, pool, roles, status) in zip(ids, people, strict=True):
        for role in roles:
            by_role.setdefault(role, []).append(uid)
        if pool:
            ctx.staff_ids.setdefault(pool, []).append(uid)
        if Role.TEACHER in roles and status is TeacherStatus.CONFIRMED:
            ctx.teacher_ids.append(uid)
    for role, user_ids in by_role.items():
        grant(ctx, user_ids, role)
    # The named tutor and teacher teach in the IT department like everyone there.
    ctx.staff_ids["it"] += [ctx.accounts["tutor"].id, ctx.accounts["teacher"].id]
    ctx.teacher_ids += [ctx.accounts["tutor"].id, ctx.accounts["teacher"].id]
    named_staff = 5  # admin, head, deputy, tutor, teacher
    ctx.count("Сотрудники", len(people) + named_staff)
    ctx.count("Из них ждут подтверждения статуса преподавателя", PENDING_TEACHERS * ctx.scale)


def teaching(ctx: DemoContext) -> None:
    """Who teaches what to which group this year, and each group's tutor."""
    pool_of = {code: pool for pool, (codes, _) in GENERAL_STAFF.items() for code in codes}
    tutor_id, teacher_id = ctx.accounts["tutor"].id, ctx.accounts["teacher"].id
    load: dict[int, int] = {}
    taught_by: dict[int, list[int]] = {}
    rows = []
    for group in ctx.groups:
        spec = SPECS[group.speciality_code]
        own = 0
        for code in course_plan(spec, group.course):
            chosen = None
            if not code.startswith(spec.code):
                pool = ctx.staff_ids[pool_of[code]]
            else:
                pool = ctx.staff_ids[spec.department]
                if group is ctx.demo_group:
                    chosen = tutor_id if own == 0 else teacher_id
                own += 1
            if chosen is None:
                chosen = min(pool, key=lambda t: (load.get(t, 0), ctx.rng.random()))
            load[chosen] = load.get(chosen, 0) + 1
            taught_by.setdefault(group.id, []).append(chosen)
            rows.append(
                {
                    "teacher_id": chosen,
                    "group_id": group.id,
                    "discipline_id": ctx.discipline_ids[code],
                }
            )
    insert_rows(TeachingAssignment, rows)
    ctx.count("Учебная нагрузка (преподаватель × группа × дисциплина)", len(rows))

    tutors: dict[int, int] = {}  # group id → current tutor
    busy = {tutor_id}
    for group in ctx.groups:
        if not group.has_tutor:
            continue
        if group is ctx.demo_group:
            tutors[group.id] = tutor_id
            continue
        # A tutor usually teaches the group; otherwise any teacher without a group yet.
        candidates = [t for t in dict.fromkeys(taught_by[group.id]) if t not in busy]
        candidates = candidates or [t for t in ctx.teacher_ids if t not in busy]
        candidates = candidates or [t for t in ctx.teacher_ids if t != tutor_id]
        tutors[group.id] = ctx.rng.choice(candidates)
        busy.add(tutors[group.id])

    rows = []
    changed = 0
    for group in ctx.groups:
        if group.id not in tutors:
            continue
        first_day = date(group.admission_year, 9, 1)
        if group.course >= 2 and group is not ctx.demo_group and ctx.rng.random() < 0.15:
            # The group's first tutor handed it over at the start of this academic year.
            changed += 1
            signed = date(group.admission_year, 8, ctx.rng.randint(24, 30))
            rows.append(
                {
                    "group_id": group.id,
                    "tutor_id": ctx.rng.choice(ctx.teacher_ids),
                    "starts_on": first_day,
                    "ends_on": date(ctx.academic_year, 8, 31),
                    "basis_number": ctx.order("о", signed),
                    "basis_date": signed,
                }
            )
            first_day = date(ctx.academic_year, 9, 1)
        signed = date(first_day.year, 8, ctx.rng.randint(24, 30))
        rows.append(
            {
                "group_id": group.id,
                "tutor_id": tutors[group.id],
                "starts_on": first_day,
                "ends_on": None,
                "basis_number": ctx.order("о", signed),
                "basis_date": signed,
            }
        )
    insert_rows(TutorAssignment, rows)
    ctx.count("Группы с тьютором", len(tutors))
    ctx.count("Группы без тьютора", len(ctx.groups) - len(tutors))
    ctx.count("Смены тьютора с начала учебного года", changed)


def finish(ctx: DemoContext) -> None:
    """Record the load in the audit log."""
    db.session.flush()
    audit.record(
        "demo.loaded",
        actor=None,
        summary=ORGANISATION["short_name"],
        scale=ctx.scale,
        counts=dict(ctx.counts),
    )
