"""The length limits of member input, kept on the models and checked by the services, so the
pages, the API and the imports refuse the same things with the same message.

Django checks a CharField's `max_length` only in forms and `full_clean()` (SQLite stores any
length, PostgreSQL fails with a server error), and a TextField's `max_length` only in its form
field; a service calls `length_errors` with the values it is about to store."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db.models import Model


def max_length(model: type[Model], field: str) -> int:
    """The model field's limit, for forms and the API schema to declare."""
    limit = model._meta.get_field(field).max_length
    assert limit is not None, f"{model.__name__}.{field} has no max_length"
    return limit


def length_errors(model: type[Model], **values: str | None) -> dict[str, str]:
    """Field → message for each value longer than its model field allows (Django's own
    message, in the visitor's language)."""
    errors: dict[str, str] = {}
    for field, value in values.items():
        if value is None:
            continue
        try:
            MaxLengthValidator(max_length(model, field))(value)
        except ValidationError as exc:
            errors[field] = exc.messages[0]
    return errors


def check_lengths(model: type[Model], **values: str | None) -> None:
    """Raise the errors of `length_errors`, if any."""
    if errors := length_errors(model, **values):
        raise ValidationError(errors)
