"""Shared fixtures: a fixed cast of people, including those who must NOT have access."""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from agencies.models import Role, Sector

from .factories import AgencyFactory, MembershipFactory, TableFactory, UserFactory

# Sync Playwright runs an event loop in the test thread; Django's async guard must allow the ORM.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def pytest_collection_modifyitems(config, items):
    _skip_browser_tests_without_chromium(items)


REFERENCE_DATA_MIGRATIONS = [
    ("agencies.migrations.0002_seed_sectors", "seed"),
    ("cases.migrations.0002_seed_taxonomy", "seed"),
    ("core.migrations.0002_audit_log_moves_to_core", "create_head"),
]


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or (
        "live_server" in getattr(item, "fixturenames", ())
    )


_FLUSHED = pytest.StashKey[bool]()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Sign-in delays per address and password-reset limits count in the cache: each test starts
    with none (the suite's cache is per-process memory)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _own_audit_checkpoints(settings, tmp_path):
    """Each test writes audit checkpoints (core/audit.py) to its own directory."""
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"


@pytest.fixture(autouse=True)
def _note_transactional_database(request):
    if _is_transactional(request.node):
        request.getfixturevalue("transactional_db")
        request.node.stash[_FLUSHED] = True


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test (live server, real worker) ends with a flush that empties every
    table, the sectors and risk taxonomy seeded by data migrations included. Once its teardown
    (and so the flush) is over, put them back with the same, idempotent migration functions, so
    that every later test — transactional or not, in any order — finds them."""
    result = yield
    # After the last test the test database is already gone: nothing to restore.
    if nextitem is not None and item.stash.get(_FLUSHED, False):
        import importlib

        from django.apps import apps
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            for module, function in REFERENCE_DATA_MIGRATIONS:
                getattr(importlib.import_module(module), function)(apps, None)
    return result


def _skip_browser_tests_without_chromium(items):
    """Browser tests need Debian's chromium. CI installs it and sets REQUIRE_E2E=1, so there a
    missing browser is a failure; on a newcomer's laptop the tests are skipped with the fix."""
    if shutil.which(CHROMIUM) or os.environ.get("REQUIRE_E2E") == "1":
        return
    skip = pytest.mark.skip(reason="chromium not installed: apt-get install chromium")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"


@pytest.fixture
def screenshot():
    """Save a full-page PNG under artifacts/screenshots/ so people can look at what we built."""

    def take(page, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take


PASSWORD = "correct-horse-battery"


@dataclass
class Cast:
    table: object
    other_table: object
    police: object
    housing: object
    health: object
    chair: object
    coordinator: object
    privacy: object
    rep_police: object  # the originating agency in most tests
    rep_housing: object  # a second agency, e.g. one that receives a disclosure
    rep_health: object  # an agency that is never disclosed to
    outsider: object  # chair of another table: must see nothing of this one
    nobody: object  # logged in, member of no table


@pytest.fixture
def cast(db):
    def sector(code):
        return Sector.objects.get(code=code)

    table = TableFactory(name="Northside Test Table", code="NTT")
    other_table = TableFactory(name="Elsewhere Table", code="ELS")
    police = AgencyFactory(name="Test Police", short_name="TPS", sector=sector("police"))
    housing = AgencyFactory(name="Test Housing", short_name="THC", sector=sector("housing"))
    health = AgencyFactory(name="Test Health", short_name="THE", sector=sector("health-care"))
    elsewhere = AgencyFactory(name="Elsewhere Police", short_name="EP", sector=sector("police"))
    table.agencies.add(police, housing, health)

    def member(username, role, agency, on=table):
        return MembershipFactory(
            user=UserFactory(username=username), table=on, agency=agency, role=role
        ).user

    people = Cast(
        table=table,
        other_table=other_table,
        police=police,
        housing=housing,
        health=health,
        chair=member("t-chair", Role.CHAIR, health),
        coordinator=member("t-coordinator", Role.COORDINATOR, health),
        privacy=member("t-privacy", Role.PRIVACY_OFFICER, health),
        rep_police=member("t-rep-police", Role.REPRESENTATIVE, police),
        rep_housing=member("t-rep-housing", Role.REPRESENTATIVE, housing),
        rep_health=member("t-rep-health", Role.REPRESENTATIVE, health),
        outsider=member("t-outsider", Role.CHAIR, elsewhere, on=other_table),
        nobody=UserFactory(username="t-nobody"),
    )
    accept_current_agreements(
        people.chair,
        people.coordinator,
        people.privacy,
        people.rep_police,
        people.rep_housing,
        people.rep_health,
        people.outsider,
    )
    return people


def accept_current_agreements(*users):
    """The cast has accepted the information-sharing agreement in force at each of their tables,
    as everyone must before seeing situations. A table without an agreement gates nobody."""
    from agencies.models import Membership
    from agencies.services import accept_agreement, current_agreement

    for membership in Membership.objects.filter(user__in=users, is_active=True):
        version = current_agreement(membership.table)
        if version is not None:
            accept_agreement(actor=membership.user, version=version)
