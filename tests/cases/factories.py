"""Factories for the cases app.

Situations are always created through ``cases.services`` so that numbers, audit rows and
validation are the real ones; ``bring_to`` then walks a situation through the four filters with
the same service calls a table would make.
"""

import datetime

import factory
from django.utils import timezone

from agencies.permissions import active_memberships
from cases import services
from cases.models import (
    AgeGroup,
    ConclusionReason,
    F2Disposition,
    Gender,
    Meeting,
    MeetingKind,
    RiskFactor,
    Situation,
    Status,
    SubjectType,
)
from tests.factories import TableFactory

ALL_AER_ELEMENTS = dict.fromkeys(services.AER_ELEMENTS, True)

DEIDENTIFIED_NARRATIVES = [
    "Youth aged 16-17 missing school for 3 weeks; parent reports 2 overdoses in the home.",
    "Adult in their 40s, 3 police calls in 10 days; eviction notice received this month.",
    "Older adult living alone, 4 falls since the spring, not taking prescribed medication.",
    "Family with 2 children under 6; utilities cut off and food bank visits stopped.",
]


def risk_factors(*codes: str) -> list[RiskFactor]:
    codes = codes or ("drugs.person", "housing.homeless")
    return list(RiskFactor.objects.filter(code__in=codes).order_by("code"))


def new_situation_kwargs(**overrides) -> dict:
    """Keyword arguments for ``services.create_situation`` (without actor and table)."""
    kwargs = {
        "subject_type": SubjectType.INDIVIDUAL,
        "age_group": AgeGroup.AGE_16_17,
        "gender": Gender.FEMALE,
        "narrative": "  Youth aged 16-17 missing school for 3 weeks; 2 overdoses in the home.  ",
        "risk_factors": risk_factors("drugs.person", "mental-health.suspected"),
    }
    kwargs.update(overrides)
    return kwargs


class SituationFactory(factory.Factory):
    """``SituationFactory(actor=cast.rep_police)`` logs a draft for the actor's agency.

    ``table`` defaults to the actor's only table.
    """

    class Meta:
        model = Situation

    actor = None
    table = factory.LazyAttribute(lambda o: active_memberships(o.actor).get().table)
    subject_type = SubjectType.INDIVIDUAL
    age_group = AgeGroup.AGE_16_17
    gender = Gender.UNKNOWN
    narrative = factory.Iterator(DEIDENTIFIED_NARRATIVES)
    risk_factors = factory.LazyFunction(risk_factors)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError("Situations are only created through cases.services.create_situation.")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if kwargs.get("actor") is None:
            raise TypeError("SituationFactory needs an actor, e.g. actor=cast.rep_police.")
        return services.create_situation(**kwargs)


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    table = factory.SubFactory(TableFactory)
    scheduled_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
    kind = MeetingKind.REGULAR
    location = "Community centre, room B"


# The order in which a situation moves through the filters.
PATH = [Status.DRAFT, Status.PRESENTED, Status.ACCEPTED, Status.INTERVENTION, Status.CONCLUDED]


def advance(situation: Situation, status: str, *, cast, meeting: Meeting | None = None):
    """Walk ``situation`` forward to ``status`` with the real services and return it reloaded.

    The originating agency's representative attests F1; the chair records F2 (accepted, or rejected
    when ``status`` is rejected), names housing and police at F3 and concludes. ``withdrawn``
    withdraws the situation where it stands.
    """
    situation.refresh_from_db()
    originator = situation.created_by
    if status == Status.WITHDRAWN:
        services.withdraw_situation(
            actor=originator, situation=situation, reason="Handled within the agency."
        )
        situation.refresh_from_db()
        return situation
    if status == Status.REJECTED:
        if situation.status == Status.DRAFT:
            services.attest_filter1(actor=originator, situation=situation)
        services.record_filter2_decision(
            actor=cast.chair,
            situation=situation,
            disposition=F2Disposition.REJECTED,
            reason="Risk is not acutely elevated; the agency keeps working with the person.",
            meeting=meeting,
        )
        situation.refresh_from_db()
        return situation

    target = PATH.index(status)
    while PATH.index(situation.status) < target:
        current = situation.status
        if current == Status.DRAFT:
            services.attest_filter1(actor=originator, situation=situation)
        elif current == Status.PRESENTED:
            services.record_filter2_decision(
                actor=cast.chair,
                situation=situation,
                disposition=F2Disposition.ACCEPTED,
                aer_elements=ALL_AER_ELEMENTS,
                meeting=meeting,
            )
        elif current == Status.ACCEPTED:
            services.record_filter3(
                actor=cast.chair,
                situation=situation,
                agencies=[cast.housing, cast.police],
                meeting=meeting,
            )
        elif current == Status.INTERVENTION:
            # The table concludes an intervention once it heard the report back.
            services.record_report_back(
                actor=cast.chair,
                situation=situation,
                note="Door knock done; the person accepted a referral.",
                meeting=meeting,
            )
            services.conclude_situation(
                actor=cast.chair,
                situation=situation,
                reason=ConclusionReason.RISK_LOWERED,
                meeting=meeting,
                open_tasks="keep",
            )
        situation.refresh_from_db()
    return situation


def bring_to(status: str, *, cast, actor=None, meeting=None, **create_kwargs) -> Situation:
    """A new situation of ``cast.table`` (logged by ``actor``, default the police rep) at
    ``status``."""
    situation = SituationFactory(actor=actor or cast.rep_police, table=cast.table, **create_kwargs)
    return advance(situation, status, cast=cast, meeting=meeting)
