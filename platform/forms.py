"""Forms of the sign-in pages. Flask-WTF adds the CSRF token to each."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter your email.")])
    password = PasswordField("Password", validators=[DataRequired(message="Enter your password.")])
    next = HiddenField()


class AcceptInvitationForm(FlaskForm):
    name = StringField("Your name", validators=[Length(max=200)])
    password = PasswordField("Password", validators=[DataRequired(message="Choose a password.")])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter your email.")])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password", validators=[DataRequired(message="Choose a password.")]
    )


class SwitchOrganisationForm(FlaskForm):
    org_id = HiddenField(validators=[DataRequired()])


class EmptyForm(FlaskForm):
    """A CSRF token alone, for buttons that post."""
