"""Filter 3: encrypted identifying information, disclosure, consent, access log, retention."""

import datetime

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import get_user_perms

from cases import services as case_services
from cases.models import Situation, Status
from consent import crypto, services
from consent.models import AccessEvent, Disclosure, DisclosurePolicy, IdentifyingInfo
from core.exceptions import InvalidTransition
from core.models import AuditEvent
from tests.cases.factories import bring_to

PERSON = {
    "given_name": "Jordan",
    "family_name": "Castellanos",
    "date_of_birth": datetime.date(2009, 3, 14),
    "address": "18 Birchwood Crescent",
    "phone": "705-555-0142",
}
FIELDS = ["given_name", "family_name", "date_of_birth", "address"]


@pytest.fixture
def accepted(cast):
    """Accepted at Filter 2, with housing named at Filter 3 (Filter 3 is one act: identifying
    information goes only to agencies named there)."""
    situation = bring_to(Status.ACCEPTED, cast=cast)
    services.record_identifying_info(actor=cast.rep_police, situation=situation, **PERSON)
    case_services.record_filter3(actor=cast.chair, situation=situation, agencies=[cast.housing])
    situation.refresh_from_db()
    return situation


def disclose(cast, situation, agencies=None, **kwargs):
    kwargs.setdefault("basis", "imminent_risk")
    kwargs.setdefault("justification", "Youth missing twice this week with violence at home.")
    return services.disclose_identifying_info(
        actor=cast.chair,
        situation=situation,
        agencies=agencies or [cast.housing],
        fields=kwargs.pop("fields", FIELDS),
        **kwargs,
    )


def reveal_html(client, user, cast, situation):
    client.force_login(user)
    return client.post(
        reverse("person-reveal", args=[cast.table.pk, situation.pk]), HTTP_HX_REQUEST="true"
    )


# --- Encryption ----------------------------------------------------------------------------


def test_identifying_info_is_stored_encrypted_with_a_blind_index(cast, accepted):
    person = IdentifyingInfo.objects.get()
    assert "Castellanos" not in person.ciphertext and "2009" not in person.ciphertext
    assert person.decrypt()["family_name"] == "Castellanos"
    assert person.blind_index == crypto.blind_index("JORDAN", " castellanos ", "2009-03-14")
    assert person.blind_index == crypto.blind_index("Jördan", "Castellános", "2009-03-14")
    assert person.blind_index != crypto.blind_index("Jordan", "Castellanos", "2009-03-15")


def test_recording_a_known_person_tells_the_agency_nothing_about_other_situations(cast, accepted):
    # The old "seen at this table before" returned the earlier situations' numbers: an oracle.
    draft = bring_to(Status.DRAFT, cast=cast)
    result = services.record_identifying_info(
        actor=cast.rep_police, situation=draft, **{**PERSON, "family_name": "CASTELLANOS"}
    )
    assert isinstance(result, IdentifyingInfo)
    assert accepted.number not in str(AuditEvent.objects.order_by("id").last().data)


def test_malformed_key_is_a_clear_configuration_error():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="entry #2 is not a valid Fernet key"):
        crypto._fernet_for((Fernet.generate_key().decode(), "not-a-key"))


def test_wrong_key_row_shows_a_clear_error_and_the_page_still_renders(client, cast, accepted):
    stranger = Fernet(Fernet.generate_key())
    IdentifyingInfo.objects.create(
        situation=accepted,
        ciphertext=stranger.encrypt(b'{"given_name": "Ghost"}').decode(),
        key_id="unknown",
        blind_index="x",
    )
    response = reveal_html(client, cast.rep_police, cast, accepted)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Castellanos" in body  # the readable row is still shown
    assert "cannot be decrypted with the current keys" in body
    assert "Ghost" not in body


def test_key_rotation_round_trip(cast, accepted, settings):
    from django.core.management import call_command

    old = settings.FIELD_ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_keys")
    assert set(IdentifyingInfo.objects.values_list("key_id", flat=True)) == {
        crypto.key_fingerprint()
    }
    # Resumable and idempotent: nothing left to do on a second run.
    from io import StringIO

    out = StringIO()
    call_command("rotate_keys", stdout=out)
    assert "Rotated 0 rows" in out.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key is gone
    assert IdentifyingInfo.objects.get().decrypt()["given_name"] == "Jordan"
    assert AuditEvent.objects.filter(event="keys.rotated").count() == 2


# --- Filter 3 disclosure -------------------------------------------------------------------


def test_disclosure_before_filter2_acceptance_is_refused(cast):
    presented = bring_to(Status.PRESENTED, cast=cast)
    with pytest.raises(InvalidTransition, match="only after a Filter 2 acceptance"):
        disclose(cast, presented)
    assert not Disclosure.objects.exists()


def test_disclosure_to_an_agency_not_on_the_table_is_refused(cast, accepted):
    from tests.factories import AgencyFactory

    stranger = AgencyFactory(name="Not At This Table")
    with pytest.raises(ValidationError) as exc:
        disclose(cast, accepted, agencies=[stranger])
    assert "named at Filter 3" in str(exc.value)
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize("who", ["rep_housing", "rep_health", "coordinator", "privacy"])
def test_only_the_chair_or_the_originating_agency_discloses(cast, accepted, who):
    with pytest.raises(PermissionDenied):
        services.disclose_identifying_info(
            actor=getattr(cast, who),
            situation=accepted,
            agencies=[cast.housing],
            fields=FIELDS,
            basis="imminent_risk",
            justification="Long enough justification for the test case here.",
        )


def test_originating_agency_records_the_disclosure_of_its_own_client(cast, accepted):
    disclosure = services.disclose_identifying_info(
        actor=cast.rep_police,
        situation=accepted,
        agencies=[cast.housing],
        fields=FIELDS,
        basis="imminent_risk",
        justification="Long enough justification for the test case here.",
    )
    assert disclosure.disclosed_by == cast.rep_police  # the record says who
    assert "view_identifying_info" in get_user_perms(cast.rep_housing, accepted)


@pytest.mark.parametrize("recipient", ["health", "police"])
def test_disclosure_to_an_agency_not_named_at_filter3_is_refused(cast, accepted, recipient):
    # Health was not named; police is the originating agency, never a recipient.
    with pytest.raises(ValidationError) as exc:
        disclose(cast, accepted, agencies=[getattr(cast, recipient)])
    assert "named at Filter 3" in str(exc.value)
    assert not Disclosure.objects.exists()


def test_disclosure_before_agencies_are_named_is_refused(cast):
    situation = bring_to(Status.ACCEPTED, cast=cast)
    with pytest.raises(InvalidTransition, match="Name the agencies"):
        disclose(cast, situation)
    assert not Disclosure.objects.exists()


def test_disclosure_form_offers_only_named_agencies_never_the_originator(client, cast, accepted):
    client.force_login(cast.chair)
    url = reverse("situation-disclose", args=[cast.table.pk, accepted.pk])
    page = client.get(url).content.decode()
    assert "Test Housing" in page and "Test Police" not in page and "Test Health" not in page
    response = client.post(
        url,
        {
            "agencies": [cast.health.pk],
            "fields": ["given_name"],
            "basis": "imminent_risk",
            "justification": "Imminent risk of serious harm reported this week by police.",
        },
    )
    assert response.status_code == 400
    assert "named at Filter 3" in response.content.decode()
    assert not Disclosure.objects.exists()


def test_sharing_without_consent_needs_a_justification(cast, accepted):
    with pytest.raises(ValidationError) as exc:
        disclose(cast, accepted, justification="")
    assert "justification" in exc.value.message_dict


def test_fields_limited_to_the_table_policy(cast, accepted):
    DisclosurePolicy.objects.create(
        table=cast.table, shared_fields=["given_name", "family_initial"]
    )
    with pytest.raises(ValidationError) as exc:
        disclose(cast, accepted, fields=["given_name", "address"])
    assert "does not share these identifiers" in str(exc.value)
    disclose(cast, accepted, fields=["given_name", "family_initial"])
    revealed = services.reveal_identifying_info(actor=cast.rep_housing, situation=accepted)
    assert revealed[0].fields == {"given_name": "Jordan", "family_initial": "C"}


def test_disclosure_on_consent_and_withdrawn_consent(cast, accepted):
    today = timezone.localdate()
    consent = services.record_consent(
        actor=cast.rep_police,
        situation=accepted,
        kind="disclosure",
        given_by="subject",
        method="written",
        given_on=today,
        scope_agencies=[cast.housing],
    )
    with pytest.raises(ValidationError, match="does not cover all of the chosen agencies"):
        disclose(cast, accepted, agencies=[cast.health], basis="consent", consent=consent)
    disclosure = disclose(cast, accepted, basis="consent", consent=consent)
    assert disclosure.consent == consent
    services.withdraw_consent(actor=cast.rep_police, consent=consent, note="Changed their mind")
    with pytest.raises(ValidationError, match="withdrawn"):
        disclose(cast, accepted, basis="consent", consent=consent)
    assert Disclosure.objects.count() == 1
    with pytest.raises(InvalidTransition):
        services.withdraw_consent(actor=cast.rep_police, consent=consent)


def test_disclosure_grants_object_permission_and_is_audited(cast, accepted):
    disclosure = disclose(cast, accepted)
    assert "view_identifying_info" in get_user_perms(cast.rep_housing, accepted)
    assert "view_identifying_info" not in get_user_perms(cast.rep_health, accepted)
    event = AuditEvent.objects.get(event="disclosure.created")
    assert event.data["agencies"] == [cast.housing.pk]
    assert event.data["basis"] == "imminent_risk"
    assert event.object_id == str(disclosure.pk)
    assert "Castellanos" not in str(event.data)


def test_disclosed_rep_reveals_and_the_view_is_logged(client, cast, accepted):
    disclose(cast, accepted)
    response = reveal_html(client, cast.rep_housing, cast, accepted)
    assert response.status_code == 200
    assert "Castellanos" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert "705-555-0142" not in response.content.decode()  # phone was not disclosed
    access = AccessEvent.objects.get()
    assert (access.user, access.agency, access.situation) == (
        cast.rep_housing,
        cast.housing,
        accepted,
    )
    assert AuditEvent.objects.filter(event="identifying_info.viewed").count() == 1


@pytest.mark.parametrize("who", ["rep_health", "coordinator", "privacy", "chair"])
def test_members_without_disclosure_cannot_reveal(client, cast, accepted, who):
    disclose(cast, accepted)
    response = reveal_html(client, getattr(cast, who), cast, accepted)
    assert response.status_code == 403
    detail = client.get(reverse("situation-detail", args=[cast.table.pk, accepted.pk]))
    assert detail.status_code == 200
    assert "Castellanos" not in detail.content.decode()
    assert "Jordan" not in detail.content.decode()
    assert not AccessEvent.objects.exists()


def test_member_of_another_table_gets_404(client, cast, accepted):
    disclose(cast, accepted)
    assert reveal_html(client, cast.outsider, cast, accepted).status_code == 404


def test_conclusion_revokes_disclosed_access(client, cast, accepted):
    disclose(cast, accepted)
    situation = accepted
    case_services.conclude_situation(
        actor=cast.chair, situation=situation, reason="unable_to_locate", open_tasks="keep"
    )
    assert "view_identifying_info" not in get_user_perms(cast.rep_housing, accepted)
    assert Disclosure.objects.get().revoked_at is not None
    assert reveal_html(client, cast.rep_housing, cast, accepted).status_code == 403
    # The originating agency still holds what it entered until the retention purge.
    assert reveal_html(client, cast.rep_police, cast, accepted).status_code == 200


def test_withdrawn_consent_is_shown_to_involved_agencies(client, cast, accepted):
    disclose(cast, accepted)
    consent = services.record_consent(
        actor=cast.rep_police,
        situation=accepted,
        kind="disclosure",
        given_by="parent",
        method="verbal",
        given_on=timezone.localdate(),
    )
    services.withdraw_consent(actor=cast.rep_police, consent=consent)
    client.force_login(cast.rep_housing)
    body = client.get(reverse("situation-detail", args=[cast.table.pk, accepted.pk])).content
    assert b"Consent to disclose was withdrawn" in body


def test_narrative_naming_the_situations_own_person_is_refused(cast):
    draft = bring_to(Status.DRAFT, cast=cast)
    services.record_identifying_info(actor=cast.rep_police, situation=draft, **PERSON)
    with pytest.raises(ValidationError) as exc:
        case_services.update_situation(
            actor=cast.rep_police, situation=draft, narrative="jordan keeps running away."
        )
    assert "the name of a person in this situation" in str(exc.value)
    assert "jordan" not in str(exc.value).lower().replace("name of a person", "")


# --- Retention -----------------------------------------------------------------------------


def test_purge_removes_identifying_data_and_permissions_but_keeps_statistics(cast, accepted):
    disclose(cast, accepted)
    situation = accepted
    case_services.record_report_back(actor=cast.chair, situation=situation, note="Door knock done.")
    case_services.conclude_situation(actor=cast.chair, situation=situation, reason="connected")
    recent = bring_to(Status.INTERVENTION, cast=cast)
    services.record_identifying_info(actor=cast.rep_police, situation=recent, **PERSON)
    case_services.conclude_situation(actor=cast.chair, situation=recent, reason="refused")
    rejected = bring_to(Status.REJECTED, cast=cast)
    IdentifyingInfo.objects.create(
        situation=rejected, ciphertext=crypto.encrypt_json({}), key_id="k", blind_index="b"
    )
    Situation.objects.filter(pk=accepted.pk).update(
        concluded_at=timezone.now() - datetime.timedelta(days=31)
    )

    dry = services.purge_identifying_info(dry_run=True)
    assert sorted(dry.situations) == sorted([accepted.pk, rejected.pk])
    assert IdentifyingInfo.objects.count() == 3

    report = services.purge_identifying_info()
    assert report.people == 2
    assert list(IdentifyingInfo.objects.values_list("situation_id", flat=True)) == [recent.pk]
    kept = Situation.objects.get(pk=accepted.pk)
    assert kept.risk_factors.count() == 2 and kept.conclusion_reason == "connected"
    assert AuditEvent.objects.filter(event="retention.purged").count() == 2
    assert services.purge_identifying_info().people == 0  # idempotent


def test_purge_command_dry_run(cast):
    from io import StringIO

    from django.core.management import call_command

    rejected = bring_to(Status.REJECTED, cast=cast)
    IdentifyingInfo.objects.create(
        situation=rejected, ciphertext=crypto.encrypt_json({}), key_id="k", blind_index="b"
    )
    out = StringIO()
    call_command("purge_identifying_info", "--dry-run", stdout=out)
    assert "Would delete identifying information of 1 people in 1 situations" in out.getvalue()
    assert IdentifyingInfo.objects.count() == 1
    call_command("purge_identifying_info", stdout=out)
    assert IdentifyingInfo.objects.count() == 0


def test_malformed_key_stops_the_process_at_startup():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env["FIELD_ENCRYPTION_KEYS"] = "this-is-not-a-fernet-key"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS entry #1 is not a valid Fernet key" in result.stderr


def test_the_same_person_cannot_be_entered_twice_on_one_situation(cast, accepted):
    with pytest.raises(ValidationError) as exc:
        services.record_identifying_info(
            actor=cast.rep_police, situation=accepted, **{**PERSON, "given_name": " jordan "}
        )
    assert "already recorded" in str(exc.value)
    assert "Castellanos" not in str(exc.value)  # the error never echoes the person
    assert IdentifyingInfo.objects.filter(situation=accepted).count() == 1
    # Someone else (another name) is fine.
    services.record_identifying_info(
        actor=cast.rep_police, situation=accepted, **{**PERSON, "given_name": "Alex"}
    )
    assert IdentifyingInfo.objects.filter(situation=accepted).count() == 2
