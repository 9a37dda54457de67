"""Form helpers shared by the staff blueprints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, SubmitField
from wtforms.widgets import CheckboxInput, ListWidget

from vocapp.db import db
from vocapp.errors import ValidationError

__all__ = ["ActionForm", "CheckboxListField", "attach_error", "save", "Saved"]


class ActionForm(FlaskForm):
    """A bare CSRF-protected button (publish, archive, unlock and the like)."""

    submit = SubmitField("Confirm")


class CheckboxListField(SelectMultipleField):
    """A multi-select shown as a list of checkboxes (usable without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class Saved(NamedTuple):
    """What a successful `save` returned (always truthy, even when the value is None)."""

    value: Any


def attach_error(form: FlaskForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the field it names (or on the form)."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def save(form: FlaskForm, action: Callable[[], Any]) -> Saved | None:
    """On a valid submission run `action` and commit, once.

    A ValidationError from the service rolls everything back and is shown on the
    form; None is returned then, as for a GET or an invalid form.
    """
    if not form.validate_on_submit():
        return None
    try:
        value = action()
    except ValidationError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return None
    db.session.commit()
    return Saved(value)
