"""The repeat marker: "presented at this table N times in the last 12 months", for the chair at
Filter 2 only, computed only after Filter 1, kept 12 months past the purge, rate-limited."""

import datetime
import importlib

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases import services as case_services
from cases.models import Situation, Status
from consent import crypto, selectors, services
from consent.models import IdentifyingInfo, RepeatMarker, RepeatMarkerFlag
from core.models import AuditEvent
from tests.cases.factories import bring_to

PERSON = {
    "given_name": "Jordan",
    "family_name": "Castellanos",
    "date_of_birth": datetime.date(2009, 3, 14),
    "address": "18 Birchwood Crescent",
}
BADGE = "Presented at this table"


def record(cast, situation, person=PERSON, actor=None):
    return services.record_identifying_info(
        actor=actor or cast.rep_police, situation=situation, **person
    )


def presented_with_person(cast, person=PERSON):
    draft = bring_to(Status.DRAFT, cast=cast)
    record(cast, draft, person)
    return case_services.attest_filter1(actor=cast.rep_police, situation=draft)


def detail(client, user, cast, situation):
    client.force_login(user)
    response = client.get(reverse("situation-detail", args=[cast.table.pk, situation.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- What the entering agency learns ---------------------------------------------------------


def test_api_record_returns_only_the_new_id(cast):
    earlier = bring_to(Status.ACCEPTED, cast=cast)
    record(cast, earlier)
    draft = bring_to(Status.DRAFT, cast=cast)
    api = APIClient()
    api.force_login(cast.rep_police)
    response = api.post(
        f"/api/v1/tables/{cast.table.pk}/situations/{draft.pk}/identifying-info/",
        {**PERSON, "date_of_birth": "2009-03-14"},
        format="json",
    )
    assert response.status_code == 201
    assert set(response.json()) == {"id"}
    assert earlier.number not in response.content.decode()


def test_form_gives_no_hint_that_the_person_was_here_before(client, cast):
    earlier = bring_to(Status.ACCEPTED, cast=cast)
    record(cast, earlier)
    draft = bring_to(Status.DRAFT, cast=cast)
    client.force_login(cast.rep_police)
    response = client.post(
        reverse("person-add", args=[cast.table.pk, draft.pk]),
        {**PERSON, "date_of_birth": "2009-03-14"},
        follow=True,
    )
    body = response.content.decode()
    assert "saved, encrypted" in body
    assert earlier.number not in body.replace(f">{earlier.number}<", "")
    assert "at the table before" not in body and BADGE not in body


# --- When the marker is computed ---------------------------------------------------------------


def test_a_draft_stores_no_marker_until_filter1_attestation(cast):
    draft = bring_to(Status.DRAFT, cast=cast)
    record(cast, draft)
    assert not RepeatMarker.objects.exists()
    assert not AuditEvent.objects.filter(event="repeat_marker.computed").exists()

    case_services.attest_filter1(actor=cast.rep_police, situation=draft)
    marker = RepeatMarker.objects.get()
    assert marker.table == cast.table
    assert marker.presented_on == timezone.localdate()
    assert marker.token == crypto.repeat_token(cast.table.pk, "Jordan", "Castellanos", "2009-03-14")
    assert marker.token != IdentifyingInfo.objects.get().blind_index
    event = AuditEvent.objects.get(event="repeat_marker.computed")
    assert event.actor_id == cast.rep_police.pk
    assert event.data == {"situation": draft.pk, "people": 1, "markers": 1}
    assert "Castellanos" not in str(event.data) and "Jordan" not in str(event.data)


def test_attesting_again_after_a_return_does_not_count_the_person_twice(cast):
    situation = presented_with_person(cast)
    services.compute_repeat_markers(actor=cast.rep_police, situation=situation)
    assert RepeatMarker.objects.count() == 1
    assert selectors.presentations_in_last_12_months(situation) == 0


def test_recording_after_filter1_computes_the_marker_at_once(cast):
    presented = bring_to(Status.PRESENTED, cast=cast)
    record(cast, presented)
    assert RepeatMarker.objects.count() == 1
    assert IdentifyingInfo.objects.get().repeat_marker_at is not None


def test_the_marker_is_keyed_per_table(cast):
    assert crypto.repeat_token(1, "Jordan", "Castellanos", "2009-03-14") != crypto.repeat_token(
        2, "Jordan", "Castellanos", "2009-03-14"
    )
    assert crypto.repeat_token(1, "JÖRDAN", " castellanos", "2009-03-14") == crypto.repeat_token(
        1, "Jordan", "Castellanos", "2009-03-14"
    )
    assert crypto.repeat_token(1, "Jordan", "Castellanos", "") == ""


# --- What the chair sees -------------------------------------------------------------------


def test_chair_sees_presented_n_times_at_filter2_and_nobody_else_does(client, cast):
    earlier = bring_to(Status.ACCEPTED, cast=cast)
    record(cast, earlier)
    other = bring_to(Status.INTERVENTION, cast=cast)
    record(cast, other)
    stranger = bring_to(Status.ACCEPTED, cast=cast)
    record(cast, stranger, {**PERSON, "given_name": "Alex"})
    situation = presented_with_person(cast)

    assert selectors.presentations_in_last_12_months(situation) == 2
    assert f"{BADGE} 2 times in the last 12 months" in detail(client, cast.chair, cast, situation)
    for who in ("rep_police", "rep_housing", "coordinator", "privacy"):
        assert BADGE not in detail(client, getattr(cast, who), cast, situation), who
    # Not after Filter 2 either.
    assert BADGE not in detail(client, cast.chair, cast, earlier)


def test_a_first_presentation_counts_zero(client, cast):
    situation = presented_with_person(cast)
    assert selectors.presentations_in_last_12_months(situation) == 0
    assert f"{BADGE} 0 times" in detail(client, cast.chair, cast, situation)


def test_markers_of_another_table_do_not_count(cast):
    for table in (cast.other_table, cast.other_table):
        RepeatMarker.objects.create(
            table=table,
            token=crypto.repeat_token(table.pk, "Jordan", "Castellanos", "2009-03-14"),
            presented_on=timezone.localdate(),
        )
    # Even a token computed with this table's key, if it were stored for another table.
    RepeatMarker.objects.create(
        table=cast.other_table,
        token=crypto.repeat_token(cast.table.pk, "Jordan", "Castellanos", "2009-03-14"),
        presented_on=timezone.localdate(),
    )
    situation = presented_with_person(cast)
    assert selectors.presentations_in_last_12_months(situation) == 0


# --- Twelve months, past the purge ----------------------------------------------------------


def test_markers_survive_the_purge_for_exactly_twelve_months(cast):
    start = datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        rejected = bring_to(Status.REJECTED, cast=cast)
        IdentifyingInfo.objects.create(
            situation=rejected, ciphertext=crypto.encrypt_json({}), key_id="k", blind_index="b"
        )
        withdrawn = presented_with_person(cast)
        case_services.withdraw_situation(
            actor=cast.rep_police, situation=withdrawn, reason="Agency handled it."
        )
        services.purge_identifying_info()
        assert not IdentifyingInfo.objects.exists()
        assert RepeatMarker.objects.count() == 1  # the purge keeps the marker

    with time_machine.travel(start + datetime.timedelta(days=180), tick=False):
        returning = presented_with_person(cast)
        assert selectors.presentations_in_last_12_months(returning) == 1

    with time_machine.travel(datetime.datetime(2027, 3, 10, 12, tzinfo=datetime.UTC), tick=False):
        assert services.purge_identifying_info().markers_expired == 0  # exactly 12 months: kept
        assert RepeatMarker.objects.count() == 2
    with time_machine.travel(datetime.datetime(2027, 3, 11, 12, tzinfo=datetime.UTC), tick=False):
        report = services.purge_identifying_info()
        assert report.markers_expired == 1
        assert list(RepeatMarker.objects.values_list("presented_on", flat=True)) == [
            datetime.date(2026, 9, 6)
        ]
        assert AuditEvent.objects.filter(event="repeat_marker.expired").count() == 1


def test_dry_run_counts_expired_markers_without_deleting(cast):
    RepeatMarker.objects.create(
        table=cast.table, token="t", presented_on=timezone.localdate() - datetime.timedelta(400)
    )
    assert services.purge_identifying_info(dry_run=True).markers_expired == 1
    assert RepeatMarker.objects.count() == 1


# --- Unusual volumes -------------------------------------------------------------------------


def test_more_than_the_daily_limit_is_refused_flagged_and_writes_nothing(client, cast, settings):
    settings.REPEAT_MARKER_DAILY_LIMIT = 2
    situations = [bring_to(Status.PRESENTED, cast=cast) for _ in range(3)]
    record(cast, situations[0])
    record(cast, situations[1], {**PERSON, "given_name": "Alex"})
    people_before = IdentifyingInfo.objects.count()

    with pytest.raises(ValidationError, match="daily limit is 2"):
        record(cast, situations[2], {**PERSON, "given_name": "Sam"})
    assert IdentifyingInfo.objects.count() == people_before
    assert RepeatMarker.objects.count() == 2
    flag = RepeatMarkerFlag.objects.get()
    assert (flag.user, flag.situation, flag.requested, flag.computed_today) == (
        cast.rep_police,
        situations[2],
        1,
        2,
    )
    event = AuditEvent.objects.get(event="repeat_marker.refused")
    assert event.data["computed_today"] == 2 and "Sam" not in str(event.data)

    client.force_login(cast.privacy)
    page = client.get(reverse("privacy-review", args=[cast.table.pk]) + "?tab=repeat")
    assert page.status_code == 200
    assert situations[2].number in page.content.decode()

    # Another person's budget is their own.
    from agencies.models import Role
    from tests.factories import MembershipFactory, UserFactory

    colleague = MembershipFactory(
        user=UserFactory(username="t-rep-police-2"),
        table=cast.table,
        agency=cast.police,
        role=Role.REPRESENTATIVE,
    ).user
    record(cast, situations[2], {**PERSON, "given_name": "Sam"}, actor=colleague)


def test_over_the_limit_the_api_answers_400_and_the_form_shows_the_error(client, cast, settings):
    settings.REPEAT_MARKER_DAILY_LIMIT = 0
    presented = bring_to(Status.PRESENTED, cast=cast)
    api = APIClient()
    api.force_login(cast.rep_police)
    url = f"/api/v1/tables/{cast.table.pk}/situations/{presented.pk}/identifying-info/"
    response = api.post(url, {**PERSON, "date_of_birth": "2009-03-14"}, format="json")
    assert response.status_code == 400
    assert "daily limit" in response.json()["detail"]
    client.force_login(cast.rep_police)
    page = client.post(
        reverse("person-add", args=[cast.table.pk, presented.pk]),
        {**PERSON, "date_of_birth": "2009-03-14"},
    )
    assert page.status_code == 200 and "daily limit" in page.content.decode()
    assert not IdentifyingInfo.objects.exists()
    assert RepeatMarkerFlag.objects.count() == 2


def test_the_limit_resets_the_next_day(cast, settings):
    settings.REPEAT_MARKER_DAILY_LIMIT = 1
    with time_machine.travel(datetime.datetime(2026, 5, 4, 15, tzinfo=datetime.UTC), tick=False):
        record(cast, bring_to(Status.PRESENTED, cast=cast))
        with pytest.raises(ValidationError):
            record(cast, bring_to(Status.PRESENTED, cast=cast))
    with time_machine.travel(datetime.datetime(2026, 5, 5, 15, tzinfo=datetime.UTC), tick=False):
        record(cast, bring_to(Status.PRESENTED, cast=cast))
    assert RepeatMarker.objects.count() == 2


def test_attestation_over_the_limit_goes_on_but_computes_nothing_and_is_flagged(cast, settings):
    settings.REPEAT_MARKER_DAILY_LIMIT = 0
    draft = bring_to(Status.DRAFT, cast=cast)
    record(cast, draft)
    situation = case_services.attest_filter1(actor=cast.rep_police, situation=draft)
    assert situation.status == Status.PRESENTED
    assert not RepeatMarker.objects.exists()
    assert RepeatMarkerFlag.objects.get().requested == 1
    assert AuditEvent.objects.filter(event="repeat_marker.refused").count() == 1


def test_only_the_originating_agency_computes_markers(cast):
    from django.core.exceptions import PermissionDenied

    presented = bring_to(Status.PRESENTED, cast=cast)
    with pytest.raises(PermissionDenied):
        services.compute_repeat_markers(actor=cast.rep_housing, situation=presented)


# --- Data migration, on a copy of the demo database ------------------------------------------


def test_data_migration_creates_markers_from_the_demo_database(cast):
    from cryptography.fernet import Fernet

    call_command("seed_demo", "--quiet-logins")
    ghost = IdentifyingInfo.objects.create(
        situation=Situation.objects.filter(table__code="NST", status=Status.ACCEPTED).first(),
        ciphertext=Fernet(Fernet.generate_key()).encrypt(b"{}").decode(),
        key_id="unknown",
        blind_index="x",
    )
    draft = Situation.objects.filter(table__code="NST", status=Status.DRAFT).first()
    IdentifyingInfo.objects.create(
        situation=draft,
        ciphertext=crypto.encrypt_json(
            {"given_name": "Dmitri", "family_name": "Halvorsen", "date_of_birth": "1992-06-25"}
        ),
        key_id=crypto.key_fingerprint(),
        blind_index="y",
    )
    # As the rows were before the marker existed.
    RepeatMarker.objects.all().delete()
    IdentifyingInfo.objects.update(repeat_marker_at=None)

    migration = importlib.import_module(
        "consent.migrations.0004_repeat_markers_from_identifying_info"
    )
    migration.create_markers(apps, None)

    readable_after_f1 = IdentifyingInfo.objects.exclude(pk=ghost.pk).exclude(situation=draft)
    assert readable_after_f1.count() >= 5
    assert RepeatMarker.objects.count() == readable_after_f1.count()
    assert not readable_after_f1.filter(repeat_marker_at__isnull=True).exists()
    assert IdentifyingInfo.objects.get(pk=ghost.pk).repeat_marker_at is None
    assert not IdentifyingInfo.objects.filter(situation=draft, repeat_marker_at__isnull=False)
    presented = Situation.objects.filter(
        table__code="NST", status=Status.PRESENTED, identifying_info__isnull=False
    ).first()
    assert selectors.presentations_in_last_12_months(presented) == 1
    # Idempotent: nothing twice.
    migration.create_markers(apps, None)
    assert RepeatMarker.objects.count() == readable_after_f1.count()
    migration.remove_markers(apps, None)
    assert not RepeatMarker.objects.exists()


def test_meeting_mode_counts_come_in_constant_queries_and_only_for_the_chair(
    cast, django_assert_max_num_queries
):
    from agencies.permissions import table_access

    earlier = bring_to(Status.ACCEPTED, cast=cast)
    record(cast, earlier)
    repeat = presented_with_person(cast)
    first = presented_with_person(cast, {**PERSON, "given_name": "Alex"})
    situations = [earlier, repeat, first]
    chair = table_access(cast.chair, cast.table.pk)
    with django_assert_max_num_queries(2):
        counts = selectors.repeat_counts_for(chair, situations)
    assert counts == {repeat.pk: 1, first.pk: 0}
    assert (
        selectors.repeat_counts_for(table_access(cast.rep_police, cast.table.pk), situations) == {}
    )
    assert (
        selectors.repeat_counts_for(table_access(cast.coordinator, cast.table.pk), situations) == {}
    )
