"""Forms: upload a CSV for a preview, then confirm the import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, SelectChoice, SelectField
from wtforms.validators import DataRequired

KIND_CHOICES = [
    SelectChoice("students", _l("Students with their groups")),
    SelectChoice("parents", _l("Parents, linked to their children")),
]


class UploadForm(FlaskForm):
    kind = SelectField(_l("What to import"), choices=KIND_CHOICES, validators=[DataRequired()])
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(_l("Choose the file."))],
        description=_l(
            "Saved from Excel or the e-journal: UTF-8 or Windows-1251, separated by semicolons "
            "or commas."
        ),
    )
    starts_on = DateField(
        _l("In the group from"),
        validators=[DataRequired(_l("Enter the date."))],
        description=_l("For new students and for those whose group changes (a transfer)."),
    )


class RunForm(FlaskForm):
    kind = HiddenField()
    key = HiddenField()
    filename = HiddenField()
    starts_on = DateField(validators=[DataRequired()])
