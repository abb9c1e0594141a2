"""Forms: registering by a link, activation, invitation links, deciding requests, admins."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from intranet.blueprints.structure.forms import optional_int
from intranet.bounds import coerce_id

PHONE_HELP = _l("A Russian number, e.g. +7 912 345-67-89. You can sign in with it.")


class PasswordPair:
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Choose a password.")), Length(max=128)],
        description=_l("At least 8 characters; a phrase of several words is easy to remember."),
        render_kw={"autocomplete": "new-password"},
    )
    password2 = PasswordField(
        _l("Password again"),
        validators=[
            DataRequired(_l("Repeat the password.")),
            EqualTo("password", _l("The passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    consent = BooleanField(
        _l("I agree to the processing of my personal data as the policy describes"),
        validators=[
            DataRequired(
                _l(
                    "Without consent to the processing of personal data we cannot create an account."
                )
            )
        ],
    )


class RegisterForm(PasswordPair, FlaskForm):
    last_name = StringField(
        _l("Surname"),
        validators=[DataRequired(_l("Enter the surname.")), Length(max=80)],
        render_kw={"autocomplete": "family-name"},
    )
    first_name = StringField(
        _l("First name"),
        validators=[DataRequired(_l("Enter the first name.")), Length(max=80)],
        render_kw={"autocomplete": "given-name"},
    )
    middle_name = StringField(
        _l("Patronymic"),
        validators=[Optional(), Length(max=80)],
        render_kw={"autocomplete": "additional-name"},
    )
    phone = StringField(
        _l("Phone"),
        validators=[DataRequired(_l("Enter your phone number.")), Length(max=24)],
        description=PHONE_HELP,
        render_kw={"inputmode": "tel", "autocomplete": "tel"},
    )
    email = EmailField(
        _l("E-mail"),
        validators=[Optional(), Email(_l("Enter a valid e-mail address.")), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    relation = StringField(
        _l("Who you are to the student"),
        validators=[Optional(), Length(max=40)],
        description=_l("E.g. мать, отец, опекун."),
    )


class AcceptForm(FlaskForm):
    relation = StringField(
        _l("Who you are to the student"),
        validators=[Optional(), Length(max=40)],
        description=_l("E.g. мать, отец, опекун."),
    )
    consent = PasswordPair.consent


class ActivateForm(PasswordPair, FlaskForm):
    pass


class InvitationForm(FlaskForm):
    role = SelectField(_l("Role"), validators=[DataRequired(_l("Choose the role."))])
    group_id = SelectField(_l("Group"), coerce=optional_int, validate_choice=False)
    department_id = SelectField(_l("Department"), coerce=optional_int, validate_choice=False)
    days = IntegerField(
        _l("Works for, days"),
        default=14,
        validators=[
            InputRequired(_l("Enter the number of days.")),
            NumberRange(1, 180, _l("From 1 to 180 days.")),
        ],
    )
    max_uses = IntegerField(
        _l("How many people may join by it"),
        default=30,
        validators=[
            InputRequired(_l("Enter the number of uses.")),
            NumberRange(1, 1000, _l("From 1 to 1000.")),
        ],
    )
    note = StringField(
        _l("Note"),
        validators=[Optional(), Length(max=200)],
        description=_l("For yourself: whom the link was sent to."),
    )


class ParentLinkForm(FlaskForm):
    student_id = SelectField(
        _l("Student"),
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Choose the student."))],
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class DecideForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (required to reject; the applicant is told)"),
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 2},
    )
    confirm_teacher = BooleanField(_l("Also confirm the teacher status"))


class BulkDecideForm(DecideForm):
    ids = SelectMultipleField(coerce=coerce_id, validate_choice=False)
    decision = SelectField(
        choices=[("approve", _l("Approve the requests")), ("reject", _l("Reject"))],
        validators=[DataRequired()],
    )


class MailInvitationForm(FlaskForm):
    emails = TextAreaField(
        _l("E-mail addresses"),
        validators=[DataRequired(_l("Enter at least one e-mail address.")), Length(max=5000)],
        description=_l("One or more, separated by commas or on separate lines."),
        render_kw={"rows": 3, "autocomplete": "off", "spellcheck": "false"},
    )
    note = TextAreaField(
        _l("A few words to add (optional)"),
        validators=[Optional(), Length(max=500)],
        render_kw={"rows": 2},
    )


class SheetForm(FlaskForm):
    people = SelectMultipleField(coerce=coerce_id, validate_choice=False)


class AppointMainForm(FlaskForm):
    person_id = SelectField(
        _l("Main administrator"),
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Choose a person from the list."))],
    )
    basis_id = SelectField(
        _l("Order of the head"),
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Choose the basis document from the register."))],
    )
    comment = StringField(_l("Comment"), validators=[Optional(), Length(max=500)])


class AddAdminForm(FlaskForm):
    person_id = SelectField(
        _l("Member of staff"),
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Choose a person from the list."))],
    )
    basis_id = SelectField(_l("Basis (optional)"), coerce=optional_int, validate_choice=False)
    comment = StringField(_l("Comment"), validators=[Optional(), Length(max=500)])
