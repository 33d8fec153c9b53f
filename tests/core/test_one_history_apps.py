"""One history beyond ``cases`` (issue 14, part 2): every public service of ``consent``,
``agencies`` and the API tokens that a person calls writes exactly the audit events listed here (one
each; a service made of named steps lists each step's event),
with the actor and the table, in its own transaction; the chain stays verifiable after each.

Every public function of those modules is classified: a service that changes state is in
``EVENTS``; reads, checks and the scheduled jobs (tested in their own files) are named in
``NOT_A_PERSONS_ACTION``. A new public function that is in neither fails
``test_every_public_function_is_classified``, so nobody can add a silent service.
"""

import datetime
import inspect
from types import SimpleNamespace

import pytest
from django.utils import timezone

from agencies import services as agency_services
from agencies.api import tokens
from agencies.models import Role
from cases.models import Status
from consent import services as consent_services
from consent.audit_checks import verify_chain
from consent.models import ConsentGivenBy, ConsentKind, ConsentMethod
from core.models import AuditEvent
from tests.cases.factories import bring_to
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PERSON = {
    "given_name": "Jordan",
    "family_name": "Castellanos",
    "date_of_birth": datetime.date(2009, 3, 14),
    "address": "18 Birchwood Crescent",
}
INVITEE = "new.person@example.org"
FIELDS = ["given_name", "family_name", "date_of_birth", "address"]


def _accepted(cast):
    from cases import services as case_services

    situation = bring_to(Status.ACCEPTED, cast=cast)
    consent_services.record_identifying_info(actor=cast.rep_police, situation=situation, **PERSON)
    case_services.record_filter3(actor=cast.chair, situation=situation, agencies=[cast.housing])
    situation.refresh_from_db()
    return situation


def _disclosure(cast, situation):
    return consent_services.disclose_identifying_info(
        actor=cast.chair,
        situation=situation,
        agencies=[cast.housing],
        fields=FIELDS,
        basis="imminent_risk",
        justification="Youth missing twice this week with violence at home.",
    )


def _consent(cast, situation):
    return consent_services.record_consent(
        actor=cast.rep_police,
        situation=situation,
        kind=ConsentKind.DISCLOSURE,
        given_by=ConsentGivenBy.SUBJECT,
        method=ConsentMethod.VERBAL,
        given_on=timezone.localdate(),
    )


def _invitation(cast, role=Role.REPRESENTATIVE):
    return agency_services.invite_member(
        actor=cast.coordinator,
        table=cast.table,
        agency=cast.housing,
        role=role,
        email=INVITEE,
    )


# Each entry: (prepare(cast) -> state, act(cast, state) -> None, actor(cast), events).
# ``prepare`` runs before the count starts; ``act`` is the one call whose events are counted.
EVENTS = {
    "consent.record_identifying_info": (
        lambda cast: bring_to(Status.ACCEPTED, cast=cast),
        lambda cast, s: consent_services.record_identifying_info(
            actor=cast.rep_police, situation=s, **PERSON
        ),
        lambda cast: cast.rep_police,
        # Recording the person computes the 12-month repeat marker: a second, named step.
        ["identifying_info.recorded", "repeat_marker.computed"],
    ),
    "consent.disclose_identifying_info": (
        _accepted,
        _disclosure,
        lambda cast: cast.chair,
        ["disclosure.created"],
    ),
    "consent.reveal_identifying_info": (
        lambda cast: (_disclosure(cast, s := _accepted(cast)), s)[1],
        lambda cast, s: consent_services.reveal_identifying_info(
            actor=cast.rep_housing, situation=s
        ),
        lambda cast: cast.rep_housing,
        ["identifying_info.viewed"],
    ),
    "consent.revoke_disclosure": (
        lambda cast: _disclosure(cast, _accepted(cast)),
        lambda cast, d: consent_services.revoke_disclosure(
            actor=cast.chair, disclosure=d, reason="Named in error."
        ),
        lambda cast: cast.chair,
        ["disclosure.revoked"],
    ),
    "consent.revoke_disclosure_access": (
        lambda cast: (_disclosure(cast, s := _accepted(cast)), s)[1],
        lambda cast, s: consent_services.revoke_disclosure_access(
            actor=cast.chair, situation=s, reason="concluded"
        ),
        lambda cast: cast.chair,
        ["disclosure.revoked"],
    ),
    "consent.record_consent": (
        _accepted,
        _consent,
        lambda cast: cast.rep_police,
        ["consent.recorded"],
    ),
    "consent.withdraw_consent": (
        lambda cast: _consent(cast, _accepted(cast)),
        lambda cast, c: consent_services.withdraw_consent(actor=cast.rep_police, consent=c),
        lambda cast: cast.rep_police,
        ["consent.withdrawn"],
    ),
    "consent.set_disclosure_policy": (
        lambda cast: None,
        lambda cast, _s: consent_services.set_disclosure_policy(
            actor=cast.coordinator,
            table=cast.table,
            shared_fields=["given_name", "family_name"],
            retention_days=400,
        ),
        lambda cast: cast.coordinator,
        ["policy.updated"],
    ),
    "agencies.invite_member": (
        lambda cast: None,
        lambda cast, _s: _invitation(cast),
        lambda cast: cast.coordinator,
        ["membership.invited"],
    ),
    "agencies.approve_invitation": (
        lambda cast: _invitation(cast, Role.PRIVACY_OFFICER).invitation,
        lambda cast, i: agency_services.approve_invitation(actor=cast.chair, invitation=i),
        lambda cast: cast.chair,
        ["membership.invitation_approved"],
    ),
    "agencies.resend_invitation": (
        lambda cast: _invitation(cast).invitation,
        lambda cast, i: agency_services.resend_invitation(actor=cast.coordinator, invitation=i),
        lambda cast: cast.coordinator,
        ["membership.invitation_resent"],
    ),
    "agencies.revoke_invitation": (
        lambda cast: _invitation(cast).invitation,
        lambda cast, i: agency_services.revoke_invitation(actor=cast.coordinator, invitation=i),
        lambda cast: cast.coordinator,
        ["membership.invitation_revoked"],
    ),
    "agencies.accept_invitation": (
        lambda cast: SimpleNamespace(
            token=_invitation(cast).token, user=UserFactory(email=INVITEE)
        ),
        lambda cast, s: agency_services.accept_invitation(token=s.token, user=s.user),
        None,  # the person accepting
        ["membership.invitation_accepted"],
    ),
    "agencies.deactivate_membership": (
        lambda cast: cast.rep_housing.memberships.get(table=cast.table),
        lambda cast, m: agency_services.deactivate_membership(actor=cast.coordinator, membership=m),
        lambda cast: cast.coordinator,
        ["membership.deactivated"],
    ),
    "agencies.reactivate_membership": (
        lambda cast: agency_services.deactivate_membership(
            actor=cast.coordinator, membership=cast.rep_housing.memberships.get(table=cast.table)
        ),
        lambda cast, m: agency_services.reactivate_membership(actor=cast.coordinator, membership=m),
        lambda cast: cast.coordinator,
        ["membership.reactivated"],
    ),
    "agencies.publish_agreement": (
        lambda cast: None,
        lambda cast, _s: agency_services.publish_agreement(
            actor=cast.coordinator, table=cast.table, text="We share only what Filter 3 allows."
        ),
        lambda cast: cast.coordinator,
        ["agreement.published"],
    ),
    "agencies.accept_agreement": (
        lambda cast: agency_services.publish_agreement(
            actor=cast.coordinator, table=cast.table, text="We share only what Filter 3 allows."
        ),
        lambda cast, v: agency_services.accept_agreement(actor=cast.rep_housing, version=v),
        lambda cast: cast.rep_housing,
        ["agreement.accepted"],
    ),
    "agencies.new_backup_codes": (
        lambda cast: None,
        lambda cast, _s: agency_services.new_backup_codes(actor=cast.rep_housing),
        lambda cast: cast.rep_housing,
        ["account.backup_codes_issued"],
    ),
    "tokens.create_token": (
        lambda cast: None,
        lambda cast, _s: tokens.create_token(user=cast.rep_housing),
        lambda cast: cast.rep_housing,
        ["api_token.created"],
    ),
    "tokens.revoke_token": (
        lambda cast: tokens.create_token(user=cast.rep_housing)[0].token_key,
        lambda cast, key: tokens.revoke_token(user=cast.rep_housing, token_key=key),
        lambda cast: cast.rep_housing,
        ["api_token.revoked"],
    ),
}

# Public functions that are not a person's state change: reads and checks, the scheduled jobs
# (purges, expiries; covered by their own tests, which check their audit events), composites
# named by what they call, and helpers of the sign-in flow.
NOT_A_PERSONS_ACTION = {
    "consent": {
        "repeat_checks_today",  # a read
        "compute_repeat_markers",  # a step of the Filter 2 decision, inside its event
        "expire_repeat_markers",  # scheduled purge step (consent.retention.markers_expired)
        "own_names",  # a read for the de-identification guard
        "end_access_on_expired_consent",  # scheduled job
        "revoke_on_conclusion",  # = revoke_disclosure_access(reason="concluded")
        "purge_candidates",  # a read
        "purge_identifying_info",  # scheduled job (tests/consent/test_privacy.py)
        "rejected_detail_candidates",  # a read
        "purge_rejected_detail",  # scheduled job, part of the purge
        "agencies_with_access",  # a read
    },
    "agencies": {
        "hash_token",
        "can_approve",
        "check_invitation",
        "invitation_for_token",
        "current_agreement",
        "unsaved_totp_device",  # the second factor is recorded when confirmed
        # Writes account.totp_confirmed; needs a live TOTP code (tests/agencies/test_two_factor.py).
        "confirm_totp_device",
    },
    "tokens": {
        "active_tokens",
        "tokens_of_table",
        "revoke_member_token",  # = revoke_token with the table member as actor
        "revoke_all_tokens",  # on deactivation, inside that event's transaction
        "idle_limit",
        "record_write_use",  # the API's own per-request audit
    },
}
PERSONAL = {"tokens.create_token", "tokens.revoke_token", "agencies.new_backup_codes"}
MODULES = {"consent": consent_services, "agencies": agency_services, "tokens": tokens}


def _public_functions(module) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if inspect.isfunction(value) and value.__module__ == module.__name__ and name[0] != "_"
    }


def test_every_public_function_is_classified():
    for prefix, module in MODULES.items():
        listed = {key.split(".", 1)[1] for key in EVENTS if key.startswith(prefix + ".")}
        unclassified = _public_functions(module) - listed - NOT_A_PERSONS_ACTION[prefix]
        assert not unclassified, f"{prefix}: say what these write: {sorted(unclassified)}"
        stale = (listed | NOT_A_PERSONS_ACTION[prefix]) - _public_functions(module)
        assert not stale, f"{prefix}: no longer public: {sorted(stale)}"


@pytest.mark.parametrize("service", sorted(EVENTS))
def test_each_service_writes_its_audit_event(cast, service):
    prepare, act, actor_of, expected = EVENTS[service]
    state = prepare(cast)
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    result = act(cast, state)

    new = list(AuditEvent.objects.filter(id__gt=last).order_by("id"))
    assert [e.event for e in new] == expected
    actor = actor_of(cast) if actor_of else result.user
    for event in new:
        assert event.actor_id == actor.pk
        if service not in PERSONAL:  # tokens and sign-in codes belong to a person, not a table
            assert event.table_id == cast.table.pk
    assert verify_chain().ok
