"""Issue 15, part 8: abandoned drafts and long-open situations lose their identifying
information (with notice to the originating agency); negative --days is refused; the blind-index
key can be rotated."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from cases.models import Situation, Status
from consent import services
from consent.blind_index_rotation import rotate_blind_index
from consent.models import IdentifyingInfo
from core.models import AuditEvent
from tests.api.conftest import PERSON
from tests.cases.factories import bring_to


def with_person(cast, status):
    situation = bring_to(status, cast=cast)
    services.record_identifying_info(actor=cast.rep_police, situation=situation, **PERSON)
    return situation


def age(situation, days, field):
    Situation.objects.filter(pk=situation.pk).update(
        **{field: timezone.now() - datetime.timedelta(days=days)}
    )


def test_abandoned_drafts_and_long_open_situations_are_purged_with_notice(
    cast, settings, django_capture_on_commit_callbacks
):
    settings.RETENTION_ABANDONED_DRAFT_DAYS = 90
    settings.RETENTION_OPEN_DAYS = 365
    old_draft = with_person(cast, Status.DRAFT)
    fresh_draft = with_person(cast, Status.DRAFT)
    old_open = with_person(cast, Status.INTERVENTION)
    young_open = with_person(cast, Status.ACCEPTED)
    age(old_draft, 91, "updated_at")
    age(fresh_draft, 30, "updated_at")
    age(old_open, 400, "created_at")
    age(young_open, 200, "created_at")

    with django_capture_on_commit_callbacks(execute=True):
        report = services.purge_identifying_info()
    assert sorted(report.situations) == sorted([old_draft.pk, old_open.pk])
    assert set(IdentifyingInfo.objects.values_list("situation_id", flat=True)) == {
        fresh_draft.pk,
        young_open.pk,
    }
    reasons = dict(
        AuditEvent.objects.filter(event="retention.purged").values_list("object_id", "data__reason")
    )
    assert reasons == {str(old_draft.pk): "abandoned_draft", str(old_open.pk): "open_too_long"}
    # Notice to the originating agency (police) only, with the number and no identifying value.
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert message.to == [cast.rep_police.email]
        assert any(n in message.subject for n in (old_draft.number, old_open.number))
        for value in ("Jordan", "Castellanos", "Birchwood", "705-555-0142", "2009"):
            assert value not in message.body and value not in message.subject


def test_the_age_limits_can_be_turned_off(cast, settings):
    settings.RETENTION_ABANDONED_DRAFT_DAYS = 0
    settings.RETENTION_OPEN_DAYS = 0
    draft = with_person(cast, Status.DRAFT)
    age(draft, 5000, "updated_at")
    assert services.purge_identifying_info().people == 0


@pytest.mark.parametrize("value", ["-1", "-30", "soon"])
def test_purge_refuses_negative_or_malformed_days(cast, value):
    concluded = with_person(cast, Status.INTERVENTION)
    with pytest.raises(CommandError):
        call_command("purge_identifying_info", "--days", value, stdout=io.StringIO())
    assert IdentifyingInfo.objects.filter(situation=concluded).exists()


def test_blind_index_rotation_recomputes_under_the_new_key_and_resumes(cast, settings):
    first = with_person(cast, Status.ACCEPTED)
    second = with_person(cast, Status.INTERVENTION)
    old = dict(IdentifyingInfo.objects.values_list("situation_id", "blind_index"))
    settings.BLIND_INDEX_KEY = "a-new-blind-index-key-0123456789"
    rows = list(IdentifyingInfo.objects.order_by("pk"))

    class Interrupted(Exception):
        pass

    def stop_after_first_batch(report):
        raise Interrupted(report.last_id)

    # Interrupted after its first batch (one row): that batch is committed…
    with pytest.raises(Interrupted) as stopped:
        rotate_blind_index(batch_size=1, progress=stop_after_first_batch)
    assert stopped.value.args == (rows[0].pk,)
    assert IdentifyingInfo.objects.get(pk=rows[0].pk).blind_index != old[first.pk]
    assert IdentifyingInfo.objects.get(pk=rows[1].pk).blind_index == old[second.pk]
    # …and the run resumes after the printed id.
    resumed = rotate_blind_index(after_id=rows[0].pk)
    assert (resumed.checked, resumed.updated) == (1, 1)
    again = rotate_blind_index()
    assert (again.checked, again.updated) == (2, 0)  # nothing redone
    new = dict(IdentifyingInfo.objects.values_list("situation_id", "blind_index"))
    assert new[first.pk] != old[first.pk] and new[first.pk] == new[second.pk]
    # Matching works under the new key: the same person gets the same index again.
    third = bring_to(Status.ACCEPTED, cast=cast)
    person = services.record_identifying_info(actor=cast.rep_police, situation=third, **PERSON)
    assert person.blind_index == new[first.pk]


def test_rotate_blind_index_command(cast, settings):
    with_person(cast, Status.ACCEPTED)
    settings.BLIND_INDEX_KEY = "another-key-for-the-command-test"
    out = io.StringIO()
    call_command("rotate_blind_index", "--dry-run", stdout=out, stderr=io.StringIO())
    assert "Would update 1 of 1" in out.getvalue()
    call_command("rotate_blind_index", stdout=out, stderr=io.StringIO())
    assert "Updated 1 of 1" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("rotate_blind_index", "--batch-size", "0", stdout=out)
