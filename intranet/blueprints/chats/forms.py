"""Forms: a chat in the registry, and the registry's filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from intranet.blueprints.structure.forms import optional_int
from intranet.labels import PLATFORM_LABELS
from intranet.services.chats import STATUS_LABELS


class ChatForm(FlaskForm):
    kind = SelectField(
        _l("Kind"), validators=[DataRequired(_l("Choose the kind of chat."))], validate_choice=False
    )
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Enter the chat's title.")), Length(max=200)],
        description=_l("As it is named in the messenger."),
    )
    group_id = SelectField(
        _l("Group"),
        coerce=optional_int,
        validate_choice=False,
        description=_l("For a tutor's chats and a teacher's chat with a group."),
    )
    discipline_id = SelectField(
        _l("Discipline"),
        coerce=optional_int,
        validate_choice=False,
        description=_l("For a teacher's chat with a group."),
    )
    club_id = SelectField(
        _l("Club or section"),
        coerce=optional_int,
        validate_choice=False,
        description=_l("For a chat with an extracurricular group."),
    )
    platform = SelectField(
        _l("Platform"),
        choices=[SelectChoice(p.value, label) for p, label in PLATFORM_LABELS.items()],
    )
    invite_url = StringField(
        _l("Invitation link"),
        validators=[DataRequired(_l("Enter the chat's invitation link.")), Length(max=500)],
        description=_l("The https:// link the messenger gives for joining the chat."),
        render_kw={"inputmode": "url", "autocomplete": "off"},
    )
    created_on = DateField(
        _l("Created on"),
        validators=[Optional()],
        render_kw={"type": "date"},
    )
    member_count = IntegerField(
        _l("Members (approximately)"),
        validators=[
            Optional(),
            NumberRange(0, 100_000, message=_l("Enter a number from 0 to 100000.")),
        ],
        render_kw={"inputmode": "numeric", "min": 0},
    )
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(s.value, label) for s, label in STATUS_LABELS.items()],
    )
    notes = TextAreaField(
        _l("Notes"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )


class SendLinksForm(FlaskForm):
    resend = BooleanField(
        _l("Send again to those who already have the links"),
        description=_l("Otherwise only people who have not been sent a chat's link get a letter."),
    )
