"""Forms: a council, a club, and adding members."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from intranet.blueprints.structure.forms import optional_int
from intranet.services.councils import CLUB_LABELS, COUNCIL_LABELS


class CouncilForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(k.value, label) for k, label in COUNCIL_LABELS.items()],
        validators=[DataRequired(_l("Choose the kind of council."))],
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter the name.")), Length(max=200)]
    )
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )
    basis_id = SelectField(
        _l("Basis (optional)"),
        coerce=optional_int,
        validate_choice=False,
        description=_l("E.g. the minutes of the meeting that elected it."),
    )


class ClubForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(k.value, label) for k, label in CLUB_LABELS.items()],
        validators=[DataRequired(_l("Choose the kind."))],
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter the name.")), Length(max=200)]
    )
    leader_id = SelectField(
        _l("Leader"),
        coerce=optional_int,
        validate_choice=False,
        description=_l("A teacher or a педагог дополнительного образования."),
    )
    schedule = StringField(
        _l("When it meets"),
        validators=[Optional(), Length(max=200)],
        description=_l("E.g. вторник и четверг, 16:00, ауд. 214."),
    )
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )
    is_active = BooleanField(_l("Meets this year"), default=True)


class MemberForm(FlaskForm):
    find = HiddenField()
    user_id = SelectField(
        _l("Person"),
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Choose a person from the list."))],
    )
    position = StringField(
        _l("Position"),
        validators=[Optional(), Length(max=80)],
        description=_l("E.g. председатель, секретарь."),
    )
    since = DateField(_l("Member since"), validators=[DataRequired(_l("Enter the date."))])
