"""PII guard: reject de-identified text that looks like it carries identifying information.

Filter 2 discussions must stay de-identified. This is a safety net, not a guarantee: it catches the
common slips (a phone number, a date of birth, a street address, a postal code, an email, a health
card number, an honorific followed by a name, a bare full name) and tells the writer what to
remove. It never echoes the matched text back, so the error message itself cannot leak what it
found.

Shapes (numbers, addresses, dates) are regular expressions in ``PATTERNS``; bare names have no shape
and are found by ``cases.pii_names`` (given-name dictionary and word rarity). Measured on
``tests/cases/pii_corpus``: see ``tests/cases/test_pii_corpus.py``.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cases.pii_names import contains_name

_STREET_WORDS = (
    r"street|st|avenue|ave|road|rd|drive|dr|boulevard|blvd|crescent|cres|court|ct|lane|ln|way|"
    r"place|pl|terrace|circle|highway|hwy|rue|chemin|boul|route|rang|montée|concession"
)

_MONTHS_EN = (
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_MONTHS_FR = (
    r"janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|"
    r"novembre|décembre|decembre"
)
_CAPITALISED = r"[A-ZÀ-Ý][\w'’.-]*"
_INSTITUTIONS = (
    r"Hospital|Centre|Center|Clinic|School|Collegiate|Secondary|Institute|Foundation|Society|"
    r"House|Hall|Building|Pavilion|Wing|Library|Park|Program|Day|Regional|Memorial|Health|"
    r"University|College|Hôpital|Pavillon|École|Fondation"
)

PATTERNS = [
    (
        "phone",
        re.compile(r"(?<![\d-])(?:\+?1[\s.-]?)?(?:\(?\d{3}\)?[\s.-]?)?\d{3}[\s.-]\d{4}(?![\d-])"),
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
            r"\b(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})\b|"
            rf"\b(?:{_MONTHS_EN})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b|"
            rf"\b\d{{1,2}}(?:er)?\s+(?:{_MONTHS_FR}|{_MONTHS_EN})\.?\s+\d{{4}}\b|"
            r"\b(?:born (?:on|in)|née? (?:le|en)|dob|d\.o\.b|date of birth|date de naissance)\b|"
            r"\bborn\s+(?:19|20)\d{2}\b|\bturns\s+\d{1,3}\s+on\b|"
            rf"\b\d{{1,2}}(?:st|nd|rd|th)\s+of\s+(?:{_MONTHS_EN})\.?,?\s+\d{{4}}\b",
            re.I,
        ),
        _("a date of birth"),
    ),
    (
        "address",
        re.compile(
            # "42 Elm Street": capitalised street name words before the street type…
            rf"\b\d{{1,5}}\s+(?:{_CAPITALISED}\s+){{1,3}}(?i:{_STREET_WORDS})\b\.?|"
            # …"123 rue Principale", "12, boul. Saint-Joseph": the type first, then a name.
            rf"\b\d{{1,5}},?\s+(?i:rue|chemin|ch|boulevard|boul|bd|avenue|av|route|rang|montée|"
            rf"place|allée|impasse)\.?\s+(?:(?i:du|de la|des|de|d'|d’|l')\s*)?{_CAPITALISED}|"
            # "3390 Highway 11", "3380, route 117", "210, 3e Avenue", "55 1st Street"
            r"\b\d{1,5},?\s+(?i:highway|hwy|route|autoroute|rang|concession|county road)\s+"
            r"\d{1,4}\b|"
            r"\b\d{1,5},?\s+\d{1,3}(?i:e|re|er|ème|th|st|nd|rd)\s+"
            r"(?i:avenue|av|ave|rue|street|st|rang)\b|"
            # rural and postal: "lot 4 on Concession 6", "RR 2", "PO Box 312", "case postale 418"
            r"\b(?i:lot)\s+\d{1,4}\W+(?:\w+\W+){0,2}(?i:concession|con\.?|rang)\s+\d{1,3}\b|"
            r"\bR\.?R\.?\s*#?\s*\d{1,3}\b|"
            r"\b(?i:p\.?\s?o\.?\s*box|case postale|c\.p\.)\s*\d{1,6}\b"
        ),
        _("a street address"),
    ),
    (
        "name",
        re.compile(
            # "Dr. Everett Chalmers Regional Hospital" is a place, not a person.
            rf"(?:\b(?i:mr|mrs|ms|miss|mx|dr|mme|mlle)\b\.?|\bM\.)\s*(?>(?-i:{_CAPITALISED}))"
            rf"(?!(?:\s+{_CAPITALISED}){{0,3}}\s+(?:{_INSTITUTIONS})\b)|"
            rf"\b(?i:named|called|nommée?|appelée?)\s+{_CAPITALISED}"
        ),
        _("a person's name"),
    ),
]


# Recognizers for what no regular expression can describe: (code, callable(text) -> bool, label).
RECOGNIZERS = [("name", contains_name, _("a person's name"))]


def _found(text: str) -> list[tuple[str, object]]:
    text = text or ""
    found = [(code, label) for code, pattern, label in PATTERNS if pattern.search(text)]
    codes = {code for code, _label in found}
    found += [
        (code, label)
        for code, recognizer, label in RECOGNIZERS
        if code not in codes and recognizer(text)
    ]
    return found


def find_identifiers(text: str) -> list[str]:
    """Return the kinds of identifier found in ``text`` (codes, in a stable order)."""
    return [code for code, _label in _found(text)]


def _normalise(text: str) -> str:
    """Lower case, no accents, hyphens and apostrophes as spaces: 'Éloïse' == 'eloise'."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.lower().replace("-", " ").replace("'", " ").replace("’", " ").split())


def mentions(text: str, names) -> bool:
    """True when one of ``names`` appears in ``text`` as a whole word (accents and case aside)."""
    normalised = _normalise(text)
    return any(
        re.search(rf"\b{re.escape(_normalise(name))}\b", normalised) for name in names if name
    )


def validate_deidentified(text: str, *, own_names=()) -> None:
    """Refuse ``text`` when it seems to identify someone.

    ``own_names`` are the names of the situation's own people, which only the caller can know
    (the consent app decrypts them: ``consent.services.own_names``); they are matched as words.
    """
    found = [label for _code, label in _found(text)]
    if own_names and text and mentions(text, own_names):
        found.append(_("the name of a person in this situation"))
    if found:
        raise ValidationError(
            _(
                "This text must be de-identified. It seems to contain %(what)s. "
                "Remove it: identifying information is shared only at Filter 3."
            ),
            code="pii",
            params={"what": ", ".join(str(f) for f in found)},
        )
