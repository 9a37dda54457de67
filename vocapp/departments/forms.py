"""Department form."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class DepartmentForm(FlaskForm):
    """Code, name and whether the department is active."""

    code = StringField("Code", validators=[DataRequired(), Length(max=20)],
                       description="Short and stable, as in your 311 system, e.g. STR.",
                       render_kw={"autocapitalize": "characters", "spellcheck": "false"})
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    active = BooleanField("Active", default=True,
                          description="Inactive departments keep their history but get no new surveys.")
    submit = SubmitField("Save department")
