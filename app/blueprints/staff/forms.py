"""Forms of the staff pages: the login (CSRF-protected) and the search filters (GET, no CSRF)."""
from flask_wtf import FlaskForm
from wtforms import DateField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.domain.rider import AGE_BANDS

STATUSES = ("pending", "sent", "stored", "skipped", "failed")


def choices(values) -> list[SelectChoice]:
    """An "Any" choice, then one per value."""
    return [SelectChoice("", "Any")] + [SelectChoice(value, value) for value in values]


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField("Username", validators=[DataRequired(), Length(max=80)],
                           render_kw={"autocomplete": "username"})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField("Log in")


class SearchForm(FlaskForm):
    """Search and filters read from the query string."""

    class Meta:
        csrf = False

    q = StringField("Search", validators=[Optional(), Length(max=100)])
    bike = StringField("Bike", validators=[Optional(), Length(max=100)])
    gender = SelectField("Gender", choices=choices(()), default="", validate_choice=False)
    age_band = SelectField("Age band", choices=choices(AGE_BANDS), default="")
    status = SelectField("Status", choices=choices(STATUSES), default="")
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    day = DateField("Day", validators=[Optional()])

    def validate_date_to(self, field) -> None:
        """To before From would silently match nothing: say so instead."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("To is before From.")

    def value(self, name: str):
        """A field's value when it validated, else None (an invalid filter is ignored and shown)."""
        field = self[name]
        return None if field.errors else (field.data or None)


class AcknowledgeForm(FlaskForm):
    """Acknowledge an alert with an optional note (CSRF-protected)."""

    note = StringField("Note", validators=[Optional(), Length(max=500)])
    next = StringField("Back to", validators=[Optional(), Length(max=2000)])
