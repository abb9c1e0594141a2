"""Forms: the statistics' period, and a snapshot of the platform's figures."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from intranet.labels import PLATFORM_LABELS
from intranet.services.stats.platform import MAX_COUNT


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(_l("First day of the period"), validators=[Optional()])
    end = DateField(_l("Last day of the period"), validators=[Optional()])


def _count(label, description=None, required=False):
    first = InputRequired(_l("Enter the number from the panel.")) if required else Optional()
    return IntegerField(
        label,
        validators=[
            first,
            NumberRange(0, MAX_COUNT, message=_l("Enter a whole number from 0 to %(max)d.")),
        ],
        description=description,
        render_kw={"inputmode": "numeric", "min": 0},
    )


class SnapshotForm(FlaskForm):
    taken_on = DateField(
        _l("Date of the figures"),
        validators=[InputRequired(_l("Enter the date the figures were taken."))],
        render_kw={"type": "date"},
    )
    platform = SelectField(
        _l("Platform"),
        choices=[SelectChoice(p.value, label) for p, label in PLATFORM_LABELS.items()],
    )
    members = _count(
        _l("Members of the organisation"),
        _l("Everyone in the organisation on the platform on that day."),
        required=True,
    )
    active_users = _count(_l("Active users (30 days)"))
    messages = _count(_l("Messages (30 days)"))
    calls = _count(_l("Calls and video lessons (30 days)"))
    broadcasts = _count(_l("Broadcasts (30 days)"))
    chats = _count(_l("Chats"), _l("The organisation's chats on that day."))
    note = TextAreaField(
        _l("Note"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2}
    )
