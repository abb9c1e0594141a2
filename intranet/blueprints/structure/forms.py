"""Forms for the organisation profile, the catalogs, groups and group membership."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from intranet.bounds import optional_number
from intranet.labels import PLATFORM_LABELS, STUDY_FORM_LABELS


def optional_int(value: object) -> int | None:
    """Coerce a select's value: the empty placeholder becomes None, not an error."""
    return optional_number(value)


def placeholder(label: str = "—") -> SelectChoice:
    return SelectChoice("", label)


class OrganisationForm(FlaskForm):
    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Enter the full name of the college.")), Length(max=300)],
        description=_l("As in the charter, e.g. ГБПОУ «Колледж информационных технологий»."),
    )
    short_name = StringField(
        _l("Short name"),
        validators=[DataRequired(_l("Enter the short name of the college.")), Length(max=120)],
    )
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    timezone = SelectField(
        _l("Time zone"),
        validators=[DataRequired(_l("Choose a time zone, e.g. Europe/Moscow."))],
        description=_l("Dates and times on every page and in calendars are shown in it."),
    )
    phone = StringField(
        _l("Phone"), validators=[Optional(), Length(max=24)], render_kw={"inputmode": "tel"}
    )
    admin_contact = StringField(
        _l("Main administrator's contact"),
        validators=[Optional(), Length(max=300)],
        description=_l("Name and how to reach the main platform administrator."),
    )
    platform = SelectField(
        _l("Messenger"),
        choices=[SelectChoice(p.value, label) for p, label in PLATFORM_LABELS.items()],
        description=_l("Where the college's Sferum chats and channels live now."),
    )


class DepartmentForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter the name.")), Length(max=200)],
        description=_l("E.g. Отделение информационных технологий."),
    )


class SpecialityForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Enter the code.")), Length(max=8)],
        description=_l("From the federal list, e.g. 09.02.07."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter the name.")), Length(max=300)],
        description=_l("E.g. Информационные системы и программирование."),
    )


class DisciplineForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Enter the code.")), Length(max=20)],
        description=_l("As in the curriculum, e.g. ОП.01 or МДК.01.01."),
        render_kw={"autocomplete": "off"},
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter the name.")), Length(max=300)]
    )


class GroupForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter the group's name, e.g. ИСП-21-1.")), Length(max=40)],
        description=_l("E.g. ИСП-21-1."),
    )
    speciality_id = SelectField(
        _l("Speciality"),
        coerce=optional_int,
        validators=[DataRequired(_l("Choose the speciality."))],
    )
    department_id = SelectField(
        _l("Department"),
        coerce=optional_int,
        validators=[DataRequired(_l("Choose the department."))],
    )
    admission_year = IntegerField(
        _l("Admission year"),
        validators=[
            DataRequired(_l("Enter the admission year, e.g. 2024.")),
            NumberRange(1990, 2100, _l("Enter the admission year, e.g. 2024.")),
        ],
        description=_l("The course is counted from it; a new course starts on 1 September."),
        render_kw={"inputmode": "numeric"},
    )
    study_form = SelectField(
        _l("Form of study"),
        choices=[SelectChoice(f.value, label) for f, label in STUDY_FORM_LABELS.items()],
    )
    is_archived = BooleanField(_l("Archived (the group has graduated or been disbanded)"))


class EnrollForm(FlaskForm):
    find = HiddenField()
    student_id = SelectField(
        _l("Student"),
        coerce=optional_int,
        validate_choice=False,  # the service checks the person; the list is only a help
        validators=[DataRequired(_l("Choose a student."))],
    )
    starts_on = DateField(_l("In the group from"), validators=[DataRequired(_l("Enter the date."))])
    reason = StringField(
        _l("Basis"),
        validators=[Optional(), Length(max=200)],
        description=_l("E.g. приказ № 45-к от 28.08.2024 о зачислении."),
    )


class EndEnrollmentForm(FlaskForm):
    ends_on = DateField(
        _l("Last day in the group"), validators=[DataRequired(_l("Enter the date."))]
    )
    reason = StringField(
        _l("Reason"),
        validators=[Optional(), Length(max=200)],
        description=_l("E.g. отчислен, приказ № 12-к от 01.02.2026."),
    )


class TutorForm(FlaskForm):
    tutor_id = SelectField(
        _l("Tutor"),
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Choose a person with the tutor role."))],
    )
    starts_on = DateField(_l("From"), validators=[DataRequired(_l("Enter the date."))])
    ends_on = DateField(
        _l("Until"),
        validators=[Optional()],
        description=_l("Leave empty for an open-ended assignment."),
    )
    basis_number = StringField(
        _l("Order number"),
        validators=[DataRequired(_l("Enter the number of the order.")), Length(max=40)],
    )
    basis_date = DateField(
        _l("Order date"), validators=[DataRequired(_l("Enter the date of the order."))]
    )


class EndTutorshipForm(FlaskForm):
    ends_on = DateField(_l("Last day as tutor"), validators=[DataRequired(_l("Enter the date."))])


class TeachingForm(FlaskForm):
    teacher_id = SelectField(
        _l("Teacher"),
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Choose a person with the teacher role."))],
    )
    discipline_id = SelectField(
        _l("Discipline"),
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Choose the discipline."))],
    )
