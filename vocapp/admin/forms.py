"""User administration forms."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from vocapp.forms import CheckboxListField
from vocapp.models import Role


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(r.value, r.label) for r in Role]


class UserForm(FlaskForm):
    """Account details, role and departments."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)],
                       render_kw={"autocomplete": "off"})
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "off", "spellcheck": "false"})
    role = RadioField("Role", choices=_role_choices(), validators=[DataRequired()])
    departments = CheckboxListField(
        "Departments", coerce=int,
        description="Required for DCXOs and viewers, who see only these. Admins and program leads see all.",
    )
    active = BooleanField("Active", default=True, description="Disabled accounts cannot sign in.")
    submit = SubmitField("Save user")


class NewUserForm(UserForm):
    """A new account also gets a first password."""

    password = PasswordField("Initial password", validators=[DataRequired(), Length(max=1024)],
                             description="Give it to the person privately; they can change it after signing in.",
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Create user")


class SetPasswordForm(FlaskForm):
    """An admin sets a new password for someone (e.g. who forgot theirs)."""

    password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Set password")
