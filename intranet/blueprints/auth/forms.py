"""Forms for signing in and the profile."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional


class LoginForm(FlaskForm):
    login = StringField(
        _l("E-mail or phone"),
        validators=[DataRequired(_l("Enter your e-mail or phone number.")), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1000)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Sign in"))


class ProfileForm(FlaskForm):
    last_name = StringField(_l("Surname"), validators=[DataRequired(), Length(max=80)])
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=80)])
    middle_name = StringField(_l("Patronymic"), validators=[Optional(), Length(max=80)])
    email = EmailField(
        _l("E-mail"),
        validators=[Optional(), Email(_l("Enter a valid e-mail address.")), Length(max=254)],
    )
    phone = StringField(
        _l("Phone"), validators=[Optional(), Length(max=24)], render_kw={"inputmode": "tel"}
    )
    locale = SelectField(_l("Language"), choices=[("ru", "Русский"), ("en", "English")])
    submit = SubmitField(_l("Save"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=1000)],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=1000)],
        description=_l("At least 8 characters. A phrase of several words is easy to remember."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))


class ConfirmForm(FlaskForm):
    """An empty form: a button that posts with a CSRF token."""

    submit = SubmitField(_l("Confirm"))


class SecondFactorForm(FlaskForm):
    """The code after the password: from the authenticator app, or a recovery code."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Enter the code.")), Length(max=40)],
        description=_l(
            "Six digits from the authenticator app. Without the phone, enter one of your "
            "recovery codes."
        ),
        render_kw={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"},
    )
    submit = SubmitField(_l("Confirm"))


class EnrolCodeForm(FlaskForm):
    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(_l("Enter the code.")), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField(_l("Turn on"))


class RecoveryCodesForm(FlaskForm):
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1000)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Make new recovery codes"))


class DisableTwoFactorForm(FlaskForm):
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1000)],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        _l("Code from the app or a recovery code"),
        validators=[DataRequired(_l("Enter the code.")), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false"},
    )
    submit = SubmitField(_l("Turn off"))


class ForgotPasswordForm(FlaskForm):
    login = StringField(
        _l("E-mail or phone"),
        validators=[DataRequired(_l("Enter your e-mail or phone number.")), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    submit = SubmitField(_l("Send the link"))


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=1000)],
        description=_l("At least 8 characters. A phrase of several words is easy to remember."),
        render_kw={"autocomplete": "new-password", "autofocus": True},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Set the password"))


def mail_settings_form(kinds, current: dict[str, bool], **kwargs) -> FlaskForm:
    """A checkbox for each optional kind of mail offered to the person."""

    class MailSettingsForm(FlaskForm):
        submit = SubmitField(_l("Save"))

    fields = {}
    for kind in kinds:
        if kind.optional:
            name = "kind_" + kind.key.replace(".", "__")
            setattr(MailSettingsForm, name, BooleanField(kind.label, default=current[kind.key]))
            fields[kind.key] = name
    form = MailSettingsForm(**kwargs)
    form.kind_fields = fields
    return form
