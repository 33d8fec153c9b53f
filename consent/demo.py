# ruff: noqa: E501 — demo people read better one per line
"""Demo identifying information, consent and Filter 3 disclosures — fictional people only.

Shows the privacy model: some agencies were disclosed to and some were not, one disclosure
without consent (imminent risk), one withdrawn consent, one person presented at the table before.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from agencies.models import Membership, Table
from cases.models import Situation, Status

from . import services
from .models import IdentifyingInfo

# Fictional people; tests search every page for these names to prove they never leak.
DEMO_PEOPLE = [
    {
        "given_name": "Jordan",
        "family_name": "Castellanos",
        "date_of_birth": datetime.date(2009, 3, 14),
        "address": "18 Birchwood Crescent, Northside",
        "phone": "705-555-0142",
    },
    {
        "given_name": "Marisol",
        "family_name": "Okonkwo",
        "date_of_birth": datetime.date(1981, 11, 2),
        "address": "Unit 4, 233 Lakeshore Road, Northside",
        "phone": "705-555-0178",
    },
    {
        "given_name": "Dmitri",
        "family_name": "Halvorsen",
        "date_of_birth": datetime.date(1992, 6, 25),
        "address": "No fixed address",
        "phone": "",
    },
    {
        "given_name": "Evangeline",
        "family_name": "Whitecloud",
        "date_of_birth": datetime.date(1978, 1, 9),
        "address": "71 Pine Street, Northside",
        "phone": "705-555-0190",
    },
]
DEMO_NAMES = [p[k] for p in DEMO_PEOPLE for k in ("given_name", "family_name")]


def _originator(situation):
    membership = (
        Membership.objects.filter(
            table=situation.table, agency=situation.originating_agency, role="representative"
        )
        .select_related("user")
        .first()
    )
    return membership.user


@transaction.atomic
def seed_consent():
    table = Table.objects.get(code="NST")
    if IdentifyingInfo.objects.filter(situation__table=table).exists():
        return
    chair = get_user_model().objects.get(username="chair")
    active = list(
        Situation.objects.filter(
            table=table, status__in=[Status.ACCEPTED, Status.INTERVENTION]
        ).order_by("number")
    )
    today = timezone.localdate()
    for index, situation in enumerate(active):
        rep = _originator(situation)
        person = DEMO_PEOPLE[index % len(DEMO_PEOPLE)]
        services.record_identifying_info(actor=rep, situation=situation, **person)
        if situation.status != Status.INTERVENTION:
            if index % 2:
                consent = services.record_consent(
                    actor=rep,
                    situation=situation,
                    kind="disclosure",
                    given_by="subject",
                    method="verbal",
                    given_on=today,
                )
                services.withdraw_consent(
                    actor=rep, consent=consent, note="Person changed their mind."
                )
            continue
        agencies = list(situation.f3_agencies.exclude(pk=situation.originating_agency_id))
        if index == 0:
            services.disclose_identifying_info(
                actor=chair,
                situation=situation,
                agencies=agencies,
                fields=["given_name", "family_name", "date_of_birth", "address"],
                basis="imminent_risk",
                justification="Youth reported missing twice with violence in the home; "
                "risk of serious harm before consent can be sought.",
            )
        else:
            consent = services.record_consent(
                actor=rep,
                situation=situation,
                kind="disclosure",
                given_by="subject",
                method="written",
                given_on=today - datetime.timedelta(days=6),
                expires_on=today + datetime.timedelta(days=90),
            )
            services.disclose_identifying_info(
                actor=chair,
                situation=situation,
                agencies=agencies,
                fields=["given_name", "family_name", "date_of_birth", "address"],
                basis="consent",
                consent=consent,
            )
    # A person presented at this table before (same name and date of birth → same repeat token):
    # the chair sees "presented at this table 1 time in the last 12 months" at Filter 2.
    presented = (
        Situation.objects.filter(table=table, status=Status.PRESENTED).order_by("number").first()
    )
    if presented:
        services.record_identifying_info(
            actor=_originator(presented), situation=presented, **DEMO_PEOPLE[1]
        )
