"""PII guard: reject de-identified text that looks like it carries identifying information.

Filter 2 discussions must stay de-identified. This is a safety net, not a guarantee: it catches the
common slips (a phone number, a date of birth, a street address, a postal code, an email, a health
card number, an honorific followed by a name) and tells the writer what to remove. It never echoes
the matched text back, so the error message itself cannot leak what it found.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_STREET_WORDS = (
    r"street|st|avenue|ave|road|rd|drive|dr|boulevard|blvd|crescent|cres|court|ct|lane|ln|way|"
    r"place|pl|terrace|circle|highway|hwy|rue|chemin|boul|route|rang|montée|concession"
)

PATTERNS = [
    (
        "phone",
        re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)"),
        _("a phone number"),
    ),
    (
        "health_number",
        re.compile(r"(?<!\d)\d{4}[\s-]?\d{3}[\s-]?\d{3}(?:[\s-]?[A-Za-z]{2})?(?!\d)"),
        _("a health card number"),
    ),
    ("email", re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), _("an email address")),
    (
        "postal_code",
        re.compile(r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z][ -]?\d[ABCEGHJ-NPRSTV-Z]\d\b", re.I),
        _("a postal code"),
    ),
    (
        "date",
        re.compile(
            r"\b(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|"
            r"(?:born|née?|dob|d\.o\.b\.?|date of birth|date de naissance)\b)",
            re.I,
        ),
        _("a date of birth"),
    ),
    (
        "address",
        re.compile(rf"\b\d{{1,5}}\s+(?:[A-Za-zÀ-ÿ'.-]+\s+){{1,3}}(?:{_STREET_WORDS})\b\.?", re.I),
        _("a street address"),
    ),
    (
        "name",
        re.compile(
            r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|M|Mme|Mlle)\.?\s+[A-Z][a-zà-ÿ]+|"
            r"\b(?:named|called|nommée?|appelée?)\s+[A-Z][a-zà-ÿ]+"
        ),
        _("a person's name"),
    ),
]


def find_identifiers(text: str) -> list[str]:
    """Return the kinds of identifier found in ``text`` (codes, in a stable order)."""
    return [code for code, pattern, _label in PATTERNS if pattern.search(text or "")]


def validate_deidentified(text: str) -> None:
    found = [label for code, pattern, label in PATTERNS if pattern.search(text or "")]
    if found:
        raise ValidationError(
            _(
                "This text must be de-identified. It seems to contain %(what)s. "
                "Remove it: identifying information is shared only at Filter 3."
            ),
            code="pii",
            params={"what": ", ".join(str(f) for f in found)},
        )
