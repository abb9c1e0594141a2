"""Forms: a student's movement, graduating a group, hiring, leaving, tutor distribution."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from intranet.blueprints.people.forms import CheckboxesField
from intranet.blueprints.structure.forms import optional_int


def basis_field(label=_l("Basis (a document of the register)")) -> SelectField:
    return SelectField(
        label,
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Choose the basis document from the register."))],
    )


class BasisMixin:
    effective_on = DateField(
        _l("Effective date"), validators=[DataRequired(_l("Enter the effective date."))]
    )
    basis_id = basis_field()
    comment = TextAreaField(
        _l("Comment"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2}
    )


class StudentMovementForm(BasisMixin, FlaskForm):
    kind = SelectField(
        _l("Movement"), validators=[DataRequired(_l("Choose the kind of movement."))]
    )
    to_group_id = SelectField(
        _l("To group"),
        coerce=optional_int,
        validate_choice=False,
        description=_l("For a transfer; for a return, the group before the leave if left empty."),
    )


class GraduateForm(BasisMixin, FlaskForm):
    pass


class HireForm(BasisMixin, FlaskForm):
    last_name = StringField(
        _l("Surname"), validators=[DataRequired(_l("Enter the surname.")), Length(max=80)]
    )
    first_name = StringField(
        _l("First name"), validators=[DataRequired(_l("Enter the first name.")), Length(max=80)]
    )
    middle_name = StringField(_l("Patronymic"), validators=[Optional(), Length(max=80)])
    email = EmailField(
        _l("E-mail"),
        validators=[Optional(), Email(_l("Enter a valid e-mail address.")), Length(max=254)],
    )
    phone = StringField(
        _l("Phone"), validators=[Optional(), Length(max=24)], render_kw={"inputmode": "tel"}
    )
    roles = CheckboxesField(_l("Roles"))
    confirm_teacher = BooleanField(_l("Confirm the teacher status now"))


class LeaveForm(BasisMixin, FlaskForm):
    successor_id = SelectField(
        _l("Successor"),
        coerce=optional_int,
        validate_choice=False,
        description=_l("Takes over the groups, tutorships, clubs, tickets and reviews."),
    )


class TutorForm(FlaskForm):
    group_id = SelectField(
        _l("Group"),
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Choose the group."))],
    )
    tutor_id = SelectField(
        _l("Tutor"),
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Choose a person with the tutor role."))],
    )
    starts_on = DateField(_l("From"), validators=[DataRequired(_l("Enter the date."))])
    basis_id = basis_field(_l("Order on the distribution of tutors"))
    together = BooleanField(
        _l("Keep the current tutor as well"),
        description=_l("Otherwise the current tutor's assignment ends the day before."),
    )
