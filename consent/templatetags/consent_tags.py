from django import template

from consent.models import IdentifierField

register = template.Library()

LABELS = dict(IdentifierField.choices)


@register.filter
def identifier_labels(codes):
    """['given_name', 'address'] → 'Given name, Address' (in the active language)."""
    return ", ".join(str(LABELS.get(code, code)) for code in codes or [])
