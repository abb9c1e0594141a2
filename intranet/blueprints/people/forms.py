"""Forms for creating and editing people, their roles and family links."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from intranet.bounds import optional_number
from intranet.labels import ROLE_LABELS
from intranet.models import Role


def optional_int(value: object) -> int | None:
    return optional_number(value)


class CheckboxesField(SelectMultipleField):
    """Several checkboxes for one multiple choice."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# The administrator role is given and taken on the administrators' page only.
ROLE_CHOICES = [
    SelectChoice(role.value, label) for role, label in ROLE_LABELS.items() if role is not Role.ADMIN
]


class PersonForm(FlaskForm):
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
    external_id = StringField(
        _l("ID in the e-journal"),
        validators=[Optional(), Length(max=64)],
        description=_l("Lets imports from the electronic journal find this person again."),
    )


class NewPersonForm(PersonForm):
    roles = CheckboxesField(_l("Roles"), choices=ROLE_CHOICES)


class RolesForm(FlaskForm):
    roles = CheckboxesField(_l("Roles"), choices=ROLE_CHOICES)


class LinkParentForm(FlaskForm):
    find = HiddenField()
    parent_id = SelectField(
        _l("Parent"),
        coerce=optional_int,
        validate_choice=False,  # the service checks the person; the list is only a help
        validators=[DataRequired(_l("Choose a person with the parent role."))],
    )
    relation = StringField(
        _l("Relation"),
        validators=[Optional(), Length(max=40)],
        description=_l("E.g. мать, отец, опекун."),
    )
