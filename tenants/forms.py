"""Forms of the organisation admin pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter the person's email.")])
    role = SelectField("Role", validators=[DataRequired()])


class RoleForm(FlaskForm):
    role = SelectField("Role", validators=[DataRequired()])


class TokenForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired(message="Give the token a name."), Length(max=100)]
    )
    role = SelectField("Acts as", validators=[DataRequired()])
