"""Human-readable, translated labels for the stable codes that exports carry.

Sectors are seeded data with English names only; their labels are declared here so that French
exports do not mix languages. Unknown codes (a sector added later) fall back to the stored name.
"""

from django.utils.translation import gettext_lazy as _

SECTOR_LABELS = {
    "police": _("Police"),
    "mental-health": _("Mental health"),
    "addictions": _("Addictions"),
    "child-welfare": _("Child welfare"),
    "education": _("Education"),
    "housing": _("Housing"),
    "income-support": _("Income support"),
    "health-care": _("Health care"),
    "probation": _("Probation"),
    "youth-justice": _("Youth justice"),
    "victim-services": _("Victim services"),
    "community": _("Community / other"),
}


def sector_label(code: str, fallback: str = "") -> str:
    label = SECTOR_LABELS.get(code)
    return str(label) if label is not None else (fallback or code)


def agency_label(agency) -> str:
    """The short name tables use in meetings (e.g. "CMHA"), or the full name."""
    return agency.short_name or agency.name
