"""A small college for the permission matrix: each subject's own objects and other people's.

Subjects: admin, head, deputy, tutor (tutors group_own), teacher (teaches group_own),
student (in group_own), parent (of that student). Someone else's: group_other with its own
student, parent, tutor and teacher.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests import factories as f


@dataclass
class World:
    admin: object
    head: object
    deputy: object
    tutor: object
    teacher: object
    student: object
    parent: object
    group_own: object
    group_other: object
    other_student: object
    other_parent: object
    other_tutor: object
    other_teacher: object
    department: object
    speciality: object
    discipline: object
    mail_message: object = None  # a message in the outbox (the «Почта» page)
    enrollment: object = None  # student in group_own
    tutorship: object = None  # tutor of group_own
    teaching: object = None  # teacher × discipline in group_own
    guardian: object = None  # parent ↔ student

    def subject(self, name: str):
        return getattr(self, name)


def build_world() -> World:
    department = f.department("Отделение информационных технологий")
    speciality = f.speciality("09.02.07")
    discipline = f.discipline("ОП.01")
    group_own = f.group("ИСП-24-1", dept=department, spec=speciality)
    group_other = f.group("ИСП-24-2", dept=department, spec=speciality)
    admin = f.user("admin", last_name="Админова")
    head = f.user("head", last_name="Директоров")
    deputy = f.user("deputy", last_name="Замов")
    tutor = f.user("tutor", "teacher", last_name="Кураторова")
    teacher = f.user("teacher", last_name="Учителев")
    student = f.user("student", last_name="Студентов")
    parent = f.user("parent", last_name="Родителева")
    other_student = f.user("student", last_name="Чужой")
    other_parent = f.user("parent", last_name="Чужая")
    other_tutor = f.user("tutor", "teacher", last_name="Другой")
    other_teacher = f.user("teacher", last_name="Иной")
    enrollment = f.enroll(student, group_own)
    f.enroll(other_student, group_other)
    guardian = f.guardian(parent, student)
    f.guardian(other_parent, other_student)
    tutorship = f.tutor_of(tutor, group_own)
    f.tutor_of(other_tutor, group_other)
    teaching = f.teaches(teacher, group_own, discipline)
    f.teaches(other_teacher, group_other, discipline)
    return World(
        admin=admin,
        head=head,
        deputy=deputy,
        tutor=tutor,
        teacher=teacher,
        student=student,
        parent=parent,
        group_own=group_own,
        group_other=group_other,
        other_student=other_student,
        other_parent=other_parent,
        other_tutor=other_tutor,
        other_teacher=other_teacher,
        department=department,
        speciality=speciality,
        discipline=discipline,
        mail_message=f.outbox_message("dead", last_error="550 5.1.1 no such user"),
        enrollment=enrollment,
        tutorship=tutorship,
        teaching=teaching,
        guardian=guardian,
    )
