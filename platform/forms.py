"""Forms of the sign-in pages. Flask-WTF adds the CSRF token to each."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

EMAIL_MESSAGE = "Enter a valid email address, like name@example.com."


class OneLineText:
    """Refuses NUL and the other control characters (line breaks too): no
    email address or name has one, and PostgreSQL cannot even look a NUL up."""

    def __init__(self, message: str = "Remove the control characters from this field.") -> None:
        self.message = message

    def __call__(self, form: FlaskForm, field) -> None:
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in field.data or ""):
            raise ValidationError(self.message)


class LoginForm(FlaskForm):
    email = EmailField(
        "Email", validators=[DataRequired(message="Enter your email."), OneLineText(EMAIL_MESSAGE)]
    )
    password = PasswordField("Password", validators=[DataRequired(message="Enter your password.")])
    next = HiddenField()


class AcceptInvitationForm(FlaskForm):
    name = StringField("Your name", validators=[Length(max=200)])
    password = PasswordField("Password", validators=[DataRequired(message="Choose a password.")])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Email", validators=[DataRequired(message="Enter your email."), OneLineText(EMAIL_MESSAGE)]
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password", validators=[DataRequired(message="Choose a password.")]
    )


class SwitchOrganisationForm(FlaskForm):
    org_id = HiddenField(validators=[DataRequired()])


class EmptyForm(FlaskForm):
    """A CSRF token alone, for buttons that post."""
