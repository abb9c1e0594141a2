"""Forms: withdrawing consent."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField
from wtforms.validators import DataRequired


class WithdrawForm(FlaskForm):
    understood = BooleanField(
        _l("I understand that my account will be disabled and my data anonymised"),
        validators=[DataRequired(_l("Tick the box to confirm that you understand."))],
    )
    submit = SubmitField(_l("Withdraw consent"))
