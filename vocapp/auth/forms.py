"""Sign-in and password forms."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField("Sign in")


class ChangePasswordForm(FlaskForm):
    """The signed-in user replaces their own password."""

    current = PasswordField("Current password", validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField("New password", validators=[DataRequired(), Length(max=1024)],
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("new", message="The two passwords differ.")],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Change password")


class LogoutForm(FlaskForm):
    """A CSRF-protected sign-out button (signing out by GET could be forged)."""

    submit = SubmitField("Sign out")
