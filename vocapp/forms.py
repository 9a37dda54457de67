"""Form helpers shared by the staff blueprints."""

from __future__ import annotations

from flask_wtf import FlaskForm

from vocapp.errors import ValidationError

__all__ = ["attach_error"]


def attach_error(form: FlaskForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the field it names (or on the form)."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)
