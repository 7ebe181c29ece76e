"""Document upload forms; the checks on the file live in services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from baton.sourcing.documents.services import CLIENT_KINDS, KIND_LABELS


class NewDocumentForm(FlaskForm):
    kind = SelectField("Kind", choices=[SelectChoice(k, KIND_LABELS[k]) for k in CLIENT_KINDS])
    title = StringField("Title")
    number = StringField("Document number")
    file = FileField("File")
    note = TextAreaField("Note")


class RevisionForm(FlaskForm):
    file = FileField("File")
    note = TextAreaField("Change note")
