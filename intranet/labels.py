"""Human names for the domain's enums, in the user's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from intranet.models import Platform, Role, StudyForm, TeacherStatus

ROLE_LABELS = {
    Role.ADMIN: _l("Platform administrator"),
    Role.HEAD: _l("Head of the college"),
    Role.DEPUTY: _l("Deputy head"),
    Role.TUTOR: _l("Tutor"),
    Role.TEACHER: _l("Teacher"),
    Role.STUDENT: _l("Student"),
    Role.PARENT: _l("Parent"),
}

TEACHER_STATUS_LABELS = {
    TeacherStatus.NOT_CONFIRMED: _l("not confirmed"),
    TeacherStatus.PENDING: _l("awaiting confirmation"),
    TeacherStatus.CONFIRMED: _l("confirmed"),
}

PLATFORM_LABELS = {
    Platform.VK: _l("VK Messenger (education profile)"),
    Platform.MAX: _l("MAX"),
}

STUDY_FORM_LABELS = {
    StudyForm.FULL_TIME: _l("full-time"),
    StudyForm.PART_TIME: _l("part-time"),
    StudyForm.EXTRAMURAL: _l("extramural"),
}


def role_label(role: Role) -> str:
    return str(ROLE_LABELS[Role(role)])


def teacher_status_label(status: TeacherStatus | None) -> str:
    return str(TEACHER_STATUS_LABELS[status]) if status else ""


def platform_label(platform: Platform) -> str:
    return str(PLATFORM_LABELS[Platform(platform)])


def study_form_label(form: StudyForm) -> str:
    return str(STUDY_FORM_LABELS[StudyForm(form)])


TEMPLATE_GLOBALS = {
    "role_label": role_label,
    "teacher_status_label": teacher_status_label,
    "platform_label": platform_label,
    "study_form_label": study_form_label,
}
