"""The demo works with `make run`: agreements accepted (but one), backup codes printed."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken

from agencies.demo import DEMO_AGREEMENT_PENDING, DEMO_BACKUP_CODE_USERS, demo_users
from agencies.models import AgreementAcceptance, AgreementVersion, Table


@pytest.fixture
def seeded(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_both_demo_tables_have_version_1_of_an_agreement(seeded):
    for code in ("NST", "LST"):
        assert AgreementVersion.objects.filter(table__code=code).get().version == 1


def test_every_demo_user_but_one_has_accepted(seeded):
    accepted = set(AgreementAcceptance.objects.values_list("user__username", flat=True))
    expected = {u.username for u in demo_users()} - {DEMO_AGREEMENT_PENDING}
    assert accepted == expected
    assert "shows the gate" in next(
        line for line in seeded.splitlines() if DEMO_AGREEMENT_PENDING in line
    )


def test_the_demo_shows_the_gate(client, seeded):
    client.force_login(get_user_model().objects.get(username=DEMO_AGREEMENT_PENDING))
    table = Table.objects.get(code="NST")
    response = client.get(reverse("situation-list", args=[table.pk]))
    assert response.url.startswith(reverse("agreement", args=[table.pk]))


def test_privileged_demo_users_get_printed_backup_codes_that_work(client, seeded, settings):
    settings.OTP_ENFORCED = True
    for username in DEMO_BACKUP_CODE_USERS:
        line = next(line for line in seeded.splitlines() if line.split()[0] == username)
        codes = line.split("2FA backup codes:")[1].split()
        assert len(codes) == 5
        assert set(codes) == set(
            StaticToken.objects.filter(device__user__username=username).values_list(
                "token", flat=True
            )
        )
    code = next(line for line in seeded.splitlines() if line.split()[0] == "chair")
    code = code.split("2FA backup codes:")[1].split()[0]
    client.post(reverse("login"), {"username": "chair", "password": settings.DEMO_PASSWORD})
    assert client.get(reverse("home")).url.startswith(reverse("otp-verify"))
    assert client.post(reverse("otp-verify"), {"token": code}).status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_seeding_again_tops_the_codes_up_without_duplicates(seeded):
    StaticToken.objects.filter(device__user__username="chair").first().delete()
    call_command("seed_demo", "--quiet-logins")
    assert StaticToken.objects.filter(device__user__username="chair").count() == 5
    assert AgreementVersion.objects.count() == 2
    assert AgreementAcceptance.objects.count() == len(demo_users()) - 1
