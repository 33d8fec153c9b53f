"""Seeded names never reach people without a disclosure, nor the database in plaintext."""

import re
import shutil
import subprocess
from urllib.parse import urljoin, urlparse

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from consent.demo import DEMO_NAMES, DEMO_PEOPLE
from consent.models import IdentifyingInfo

HREF = re.compile(r'href="([^"#]+)"')


def crawl(client, start="/", limit=400):
    """Every page reachable by GET links from the start page (site-internal, no admin)."""
    seen, queue, pages = set(), [start], {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode()
        pages[url] = body
        for href in HREF.findall(body):
            target = urljoin(url, href.replace("&amp;", "&"))
            parsed = urlparse(target)
            if parsed.netloc or not parsed.path.startswith("/") or target in seen:
                continue
            if parsed.path.startswith(("/admin", "/static", "/i18n", "/accounts/logout")):
                continue
            queue.append(target)
    return pages


@pytest.mark.parametrize(
    "username", ["rep-education", "coordinator", "privacy", "lakeview-rep", "lakeview-chair"]
)
def test_people_without_disclosure_never_see_a_seeded_name(client, db, username):
    call_command("seed_demo", "--quiet-logins")
    assert IdentifyingInfo.objects.count() >= 4
    client.force_login(get_user_model().objects.get(username=username))
    pages = crawl(client)
    assert len(pages) > (3 if username.startswith("lakeview") else 15)
    for url, body in pages.items():
        for name in DEMO_NAMES:
            assert not re.search(rf"\b{name}\b", body), f"{name} leaked on {url} to {username}"


def test_disclosed_agency_rep_does_see_names_after_reveal(client, db):
    """The crawl above would prove nothing if names could never be shown at all."""
    call_command("seed_demo", "--quiet-logins")
    from cases.models import Situation

    disclosed = Situation.objects.filter(
        disclosures__isnull=False, disclosures__revoked_at__isnull=True
    ).first()
    agency = disclosed.disclosures.first().agencies.first()
    member = agency.memberships.filter(is_active=True, table=disclosed.table).first().user
    client.force_login(member)
    response = client.post(f"/tables/{disclosed.table_id}/situations/{disclosed.pk}/people/reveal/")
    assert response.status_code == 200
    assert any(name in response.content.decode() for name in DEMO_NAMES)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump not installed")
def test_pg_dump_contains_no_plaintext_names_or_dates_of_birth():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    call_command("seed_demo", "--quiet-logins")
    db = settings.DATABASES["default"]
    dump = subprocess.run(
        [
            "pg_dump",
            "--data-only",
            "-h",
            db.get("HOST") or "127.0.0.1",
            "-p",
            str(db.get("PORT") or 5432),
            "-U",
            db.get("USER") or "postgres",
            db["NAME"],
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "consent_identifyinginfo" in dump  # the rows are there, encrypted
    for person in DEMO_PEOPLE:
        for value in (person["given_name"], person["family_name"], person["address"]):
            assert value not in dump
        assert person["date_of_birth"].isoformat() not in dump
