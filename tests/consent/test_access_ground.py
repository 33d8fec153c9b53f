"""Access follows its ground: withdrawn or expired consent ends a disclosure's access, a mistaken
disclosure can be revoked, and a deactivated seat loses its object permissions for good."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import get_user_perms
from rest_framework.test import APIClient

from agencies import services as agency_services
from agencies.models import Membership
from cases import services as case_services
from cases.models import Status
from consent import services
from consent.models import Disclosure
from consent.tasks import end_access_on_expired_consent
from core.exceptions import InvalidTransition
from core.models import AuditEvent
from tests.cases.factories import bring_to

PERSON = {
    "given_name": "Jordan",
    "family_name": "Castellanos",
    "date_of_birth": datetime.date(2009, 3, 14),
    "address": "18 Birchwood Crescent",
}
FIELDS = ["given_name", "family_name"]
PERM = "view_identifying_info"


def named_at_filter3(cast):
    """Accepted, with housing and health named at Filter 3 (disclosure goes only to them)."""
    situation = bring_to(Status.ACCEPTED, cast=cast)
    return case_services.record_filter3(
        actor=cast.chair, situation=situation, agencies=[cast.housing, cast.health]
    )


@pytest.fixture
def accepted(cast):
    situation = named_at_filter3(cast)
    services.record_identifying_info(actor=cast.rep_police, situation=situation, **PERSON)
    return situation


def consent_for(cast, situation, **kwargs):
    return services.record_consent(
        actor=cast.rep_police,
        situation=situation,
        kind="disclosure",
        given_by="subject",
        method="written",
        given_on=kwargs.pop("given_on", timezone.localdate()),
        **kwargs,
    )


def disclose(cast, situation, agencies, consent=None):
    if consent is not None:
        extra = {"basis": "consent", "consent": consent}
    else:
        extra = {
            "basis": "imminent_risk",
            "justification": "Youth missing twice this week with violence at home.",
        }
    return services.disclose_identifying_info(
        actor=cast.chair, situation=situation, agencies=agencies, fields=FIELDS, **extra
    )


def can_reveal(user, situation):
    try:
        services.reveal_identifying_info(actor=user, situation=situation)
    except PermissionDenied:
        return False
    return True


# --- Consent withdrawn or expired --------------------------------------------------------------


def test_withdrawing_consent_ends_the_disclosures_resting_on_it_at_once(cast, accepted):
    consent = consent_for(cast, accepted)
    on_consent = disclose(cast, accepted, [cast.housing], consent)
    on_risk = disclose(cast, accepted, [cast.health])
    assert can_reveal(cast.rep_housing, accepted)

    services.withdraw_consent(actor=cast.rep_police, consent=consent, note="Changed mind")

    on_consent.refresh_from_db()
    assert on_consent.revoked_at is not None
    assert on_consent.revocation_reason == "consent_withdrawn"
    assert PERM not in get_user_perms(cast.rep_housing, accepted)
    assert not can_reveal(cast.rep_housing, accepted)
    # The other disclosure stands on its own ground.
    assert Disclosure.objects.get(pk=on_risk.pk).revoked_at is None
    assert can_reveal(cast.rep_health, accepted)
    event = AuditEvent.objects.get(event="disclosure.revoked")
    assert event.object_id == str(on_consent.pk)
    assert event.data == {
        "situation": accepted.pk,
        "reason": "consent_withdrawn",
        "agencies": [cast.housing.pk],
        "permissions": 1,
    }


def test_an_agency_with_another_basis_keeps_its_access(cast, accepted):
    consent = consent_for(cast, accepted)
    disclose(cast, accepted, [cast.housing], consent)
    disclose(cast, accepted, [cast.housing])  # the chair records another basis
    services.withdraw_consent(actor=cast.rep_police, consent=consent)
    assert PERM in get_user_perms(cast.rep_housing, accepted)
    assert can_reveal(cast.rep_housing, accepted)


def test_a_new_disclosure_restores_access_after_withdrawal(cast, accepted):
    consent = consent_for(cast, accepted)
    disclose(cast, accepted, [cast.housing], consent)
    services.withdraw_consent(actor=cast.rep_police, consent=consent)
    assert not can_reveal(cast.rep_housing, accepted)
    disclose(cast, accepted, [cast.housing])
    assert can_reveal(cast.rep_housing, accepted)


def test_expired_consent_is_refused_at_reveal_time_and_revoked_by_the_daily_sweep(cast, accepted):
    today = timezone.localdate()
    consent = consent_for(cast, accepted, expires_on=today + datetime.timedelta(days=3))
    disclosure = disclose(cast, accepted, [cast.housing], consent)
    other = disclose(cast, accepted, [cast.health])
    assert can_reveal(cast.rep_housing, accepted)

    with time_machine.travel(timezone.now() + datetime.timedelta(days=4)):
        # Before the sweep: refused at reveal time already.
        assert not can_reveal(cast.rep_housing, accepted)
        assert PERM in get_user_perms(cast.rep_housing, accepted)
        assert end_access_on_expired_consent.delay().get() == 1
        disclosure.refresh_from_db()
        assert disclosure.revocation_reason == "consent_expired"
        assert PERM not in get_user_perms(cast.rep_housing, accepted)
        assert Disclosure.objects.get(pk=other.pk).revoked_at is None
        assert can_reveal(cast.rep_health, accepted)
        assert services.end_access_on_expired_consent() == 0  # idempotent
    assert AuditEvent.objects.filter(event="disclosure.revoked", data__reason="consent_expired")


def test_consent_valid_through_its_expiry_day(cast, accepted):
    consent = consent_for(cast, accepted, expires_on=timezone.localdate())
    disclose(cast, accepted, [cast.housing], consent)
    assert services.end_access_on_expired_consent() == 0
    assert can_reveal(cast.rep_housing, accepted)


# --- Revoking a mistaken disclosure -------------------------------------------------------------


@pytest.mark.parametrize("who", ["chair", "privacy"])
def test_chair_or_privacy_officer_revokes_only_that_disclosure(cast, accepted, who):
    mistaken = disclose(cast, accepted, [cast.housing])
    kept = disclose(cast, accepted, [cast.health])
    services.revoke_disclosure(
        actor=getattr(cast, who), disclosure=mistaken, reason="Housing was not named at F3."
    )
    mistaken.refresh_from_db()
    assert mistaken.revoked_at and mistaken.revoked_by == getattr(cast, who)
    assert (mistaken.revocation_reason, mistaken.revocation_note) == (
        "mistaken",
        "Housing was not named at F3.",
    )
    assert not can_reveal(cast.rep_housing, accepted)
    assert can_reveal(cast.rep_health, accepted)
    assert Disclosure.objects.get(pk=kept.pk).revoked_at is None
    event = AuditEvent.objects.get(event="disclosure.revoked")
    assert event.actor_id == getattr(cast, who).pk
    assert event.data["reason"] == "mistaken" and "Housing was" not in str(event.data)


@pytest.mark.parametrize("who", ["rep_health", "rep_housing", "rep_police", "coordinator"])
def test_others_cannot_revoke_a_disclosure(cast, accepted, who):
    disclosure = disclose(cast, accepted, [cast.housing])
    with pytest.raises(PermissionDenied):
        services.revoke_disclosure(
            actor=getattr(cast, who), disclosure=disclosure, reason="Not allowed to do this."
        )
    assert Disclosure.objects.get(pk=disclosure.pk).revoked_at is None
    assert PERM in get_user_perms(cast.rep_housing, accepted)


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "Say why"), ("   ", "Say why"), ("Call 613-555-0199 first", "de-identified")],
)
def test_revoking_needs_a_de_identified_reason(cast, accepted, reason, message):
    disclosure = disclose(cast, accepted, [cast.housing])
    with pytest.raises(ValidationError, match=message):
        services.revoke_disclosure(actor=cast.chair, disclosure=disclosure, reason=reason)
    assert Disclosure.objects.get(pk=disclosure.pk).revoked_at is None


def test_revoking_twice_is_a_clear_error(cast, accepted):
    disclosure = disclose(cast, accepted, [cast.housing])
    services.revoke_disclosure(actor=cast.chair, disclosure=disclosure, reason="Mistake at F3.")
    with pytest.raises(InvalidTransition, match="already ended"):
        services.revoke_disclosure(actor=cast.chair, disclosure=disclosure, reason="Again.")


def test_revoke_button_confirms_then_revokes(client, cast, accepted):
    disclosure = disclose(cast, accepted, [cast.housing])
    url = reverse("disclosure-revoke", args=[cast.table.pk, disclosure.pk])
    client.force_login(cast.chair)
    detail = client.get(reverse("situation-detail", args=[cast.table.pk, accepted.pk]))
    assert url in detail.content.decode()
    confirm = client.get(url + "?back=situation")
    assert confirm.status_code == 200 and "Yes, revoke this disclosure" in confirm.content.decode()
    assert Disclosure.objects.get(pk=disclosure.pk).revoked_at is None  # GET changes nothing

    bad = client.post(url, {"reason": ""})
    assert bad.status_code == 400
    assert Disclosure.objects.get(pk=disclosure.pk).revoked_at is None

    done = client.post(url, {"reason": "Named by mistake.", "back": "situation"})
    assert done.status_code == 302
    assert done["Location"] == reverse("situation-detail", args=[cast.table.pk, accepted.pk])
    assert Disclosure.objects.get(pk=disclosure.pk).revoked_at is not None


def test_privacy_review_lists_a_revoke_button_for_the_privacy_officer(client, cast, accepted):
    disclosure = disclose(cast, accepted, [cast.housing])
    url = reverse("disclosure-revoke", args=[cast.table.pk, disclosure.pk])
    client.force_login(cast.privacy)
    page = client.get(reverse("privacy-review", args=[cast.table.pk]))
    assert url in page.content.decode()
    done = client.post(url, {"reason": "Named by mistake.", "back": "privacy"})
    assert done["Location"] == reverse("privacy-review", args=[cast.table.pk])
    page = client.get(reverse("privacy-review", args=[cast.table.pk]))
    assert "Named by mistake." in page.content.decode()


@pytest.mark.parametrize(("who", "status"), [("rep_health", 403), ("outsider", 404)])
def test_revoke_page_refuses_others(client, cast, accepted, who, status):
    disclosure = disclose(cast, accepted, [cast.housing])
    client.force_login(getattr(cast, who))
    url = reverse("disclosure-revoke", args=[cast.table.pk, disclosure.pk])
    assert client.get(url).status_code == status
    assert client.post(url, {"reason": "Trying to revoke."}).status_code == status
    assert Disclosure.objects.get(pk=disclosure.pk).revoked_at is None


def api_revoke(user, cast, disclosure_id, body=None, table_id=None):
    api = APIClient()
    api.force_login(user)
    return api.post(
        f"/api/v1/tables/{table_id or cast.table.pk}/disclosures/{disclosure_id}/revoke/",
        body if body is not None else {"reason": "Named by mistake."},
        format="json",
    )


def test_api_revoke(cast, accepted):
    disclosure = disclose(cast, accepted, [cast.housing])
    kept = disclose(cast, accepted, [cast.health])
    assert api_revoke(cast.rep_health, cast, disclosure.pk).status_code == 403
    assert api_revoke(cast.outsider, cast, disclosure.pk).status_code == 404
    assert api_revoke(cast.chair, cast, "abc").status_code == 404
    assert api_revoke(cast.chair, cast, 10**30).status_code == 404
    assert api_revoke(cast.chair, cast, disclosure.pk, {}).status_code == 400
    response = api_revoke(cast.chair, cast, disclosure.pk)
    assert response.status_code == 200
    assert response.json()["revoked_at"] and response.json()["revocation_reason"] == "mistaken"
    assert api_revoke(cast.chair, cast, disclosure.pk).status_code == 409
    assert Disclosure.objects.get(pk=kept.pk).revoked_at is None
    assert not can_reveal(cast.rep_housing, accepted)


def test_api_revoke_of_another_tables_disclosure_is_404(cast, accepted):
    disclosure = disclose(cast, accepted, [cast.housing])
    # The outsider chairs another table: that table's URL does not reach this disclosure.
    response = api_revoke(cast.outsider, cast, disclosure.pk, table_id=cast.other_table.pk)
    assert response.status_code == 404
    assert Disclosure.objects.get(pk=disclosure.pk).revoked_at is None


# --- Deactivated seats -----------------------------------------------------------------------


def test_deactivating_a_seat_removes_its_grants_and_reactivation_does_not_restore(cast, accepted):
    disclose(cast, accepted, [cast.housing])
    other = named_at_filter3(cast)
    services.record_identifying_info(
        actor=cast.rep_police, situation=other, **{**PERSON, "given_name": "Alex"}
    )
    disclose(cast, other, [cast.housing])
    seat = Membership.objects.get(user=cast.rep_housing, table=cast.table)

    agency_services.deactivate_membership(actor=cast.coordinator, membership=seat)
    assert PERM not in get_user_perms(cast.rep_housing, accepted)
    assert PERM not in get_user_perms(cast.rep_housing, other)
    event = AuditEvent.objects.get(event="membership.deactivated")
    assert event.data["grants_removed"] == 2

    agency_services.reactivate_membership(actor=cast.coordinator, membership=seat)
    assert PERM not in get_user_perms(cast.rep_housing, accepted)
    assert not can_reveal(cast.rep_housing, accepted)
    assert AuditEvent.objects.filter(event="membership.reactivated").exists()
    # Colleagues' and other agencies' grants are untouched; a new disclosure grants again.
    disclose(cast, accepted, [cast.housing])
    assert can_reveal(cast.rep_housing, accepted)
