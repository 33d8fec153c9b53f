"""Decisions store codes and data and are rendered in the reader's language; the prose rows of
earlier releases migrate (cases/migrations/0008), tested on a copy of the demo database."""

import importlib

from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import translation

from cases.models import ConclusionReason, Decision, DecisionKind


def test_prose_written_in_either_language_migrates_to_data_on_the_demo_database(db):
    call_command("seed_demo", "--quiet-logins")
    plans = list(Decision.objects.filter(kind=DecisionKind.F4_PLAN))
    named = list(Decision.objects.filter(kind=DecisionKind.F3_AGENCIES))
    concluded = list(
        Decision.objects.filter(kind=DecisionKind.CONCLUDED).select_related("situation")
    )
    assert plans and named and concluded
    expected = {d.pk: d.data for d in [*plans, *named, *concluded]}
    # As an earlier release wrote them: prose, in the language of whoever recorded it.
    for i, d in enumerate(plans):
        assisting = ", ".join(d.data["assisting"]) or "—"
        d.note = (
            f"Responsable : {d.data['lead']}. Partenaires : {assisting}."
            if i % 2
            else f"Lead: {d.data['lead']}. Assisting: {assisting}."
        )
    for d in named:
        d.note = ", ".join(d.data["agencies"])
    for d in concluded:
        label = ConclusionReason(d.data["reason"]).label
        d.note = f"{label}. {d.situation.conclusion_note}".strip()
    Decision.objects.bulk_update([*plans, *named, *concluded], ["note"])
    Decision.objects.filter(pk__in=expected).update(data={})

    migration = importlib.import_module("cases.migrations.0008_decision_data")
    apps = MigrationLoader(connection).project_state(("cases", "0008_decision_data")).apps
    migration.to_data(apps, None)

    for d in Decision.objects.filter(pk__in=expected).select_related("situation"):
        assert d.data == expected[d.pk], d.kind
        if d.kind != DecisionKind.CONCLUDED:
            assert d.note == ""
        else:
            assert d.note == d.situation.conclusion_note
    plan = Decision.objects.filter(kind=DecisionKind.F4_PLAN).first()
    with translation.override("en"):
        assert plan.summary.startswith("Lead: ")
    with translation.override("fr"):
        assert plan.summary.startswith("Responsable : ")


def test_a_note_that_does_not_parse_is_kept(db, cast):
    from tests.cases.factories import bring_to

    situation = bring_to("intervention", cast=cast)
    odd = Decision.objects.create(situation=situation, kind=DecisionKind.F4_PLAN, note="Door knock")
    migration = importlib.import_module("cases.migrations.0008_decision_data")
    apps = MigrationLoader(connection).project_state(("cases", "0008_decision_data")).apps
    migration.to_data(apps, None)
    odd.refresh_from_db()
    assert odd.note == "Door knock" and odd.data == {} and odd.summary == "Door knock"
