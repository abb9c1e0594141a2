"""The form of an entry of the documents register."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from intranet.services.documents import KIND_LABELS


class DocumentForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
        validators=[DataRequired(_l("Choose the kind of document."))],
    )
    number = StringField(
        _l("Number"),
        validators=[Optional(), Length(max=40)],
        description=_l("E.g. 45-к or 3; required for orders and minutes."),
    )
    issued_on = DateField(_l("Date"), validators=[DataRequired(_l("Enter the date."))])
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Enter the title.")), Length(max=300)],
        description=_l("E.g. Об использовании платформы «Сферум»."),
    )
    in_force_from = DateField(_l("In force from"), validators=[Optional()])
    in_force_to = DateField(_l("In force until"), validators=[Optional()])
    note = TextAreaField(
        _l("Note"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )
    file = FileField(
        _l("File (PDF or a scan in PNG or JPEG)"),
        description=_l("Up to the upload size limit; replaces the file attached before."),
    )
