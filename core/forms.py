"""Form helpers shared by every app: a service's domain error shown next to what the user typed."""

from django.core.exceptions import ValidationError

from core.exceptions import InvalidTransition


def add_errors(form, error: ValidationError | InvalidTransition) -> None:
    """Attach a service's error to ``form``: per field where the field is on the form, otherwise
    as a form-wide error (an ``InvalidTransition`` is always form-wide)."""
    if isinstance(error, InvalidTransition):
        form.add_error(None, error.message)
    elif hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for e in errors:
                form.add_error(field if field in form.fields else None, e)
    else:
        for message in error.messages:
            form.add_error(None, message)


def run_service(form, service, **kwargs):
    """Call a service; on a domain error, attach it to the form and return None."""
    try:
        return service(**kwargs)
    except (InvalidTransition, ValidationError) as exc:
        add_errors(form, exc)
    return None
