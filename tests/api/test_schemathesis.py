"""Fuzz every operation of the live OpenAPI schema with schemathesis, as the chair and as a
representative of a seeded table, through the WSGI application: no server error, every response
conforms to the schema (status code, content type, body).

Bounded for CI: a fixed number of examples per operation and generation mode, derandomized, no
example database. Path ids are mostly the seeded table's real ids (a random id is a 404 and tests
little), sometimes whatever schemathesis generates. State-changing operations often answer 409 or
400 because the seeded situations move on as the run goes: both are documented answers.
"""

import os
from collections import Counter

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from agencies.api.tokens import create_token

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))  # per operation and mode
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_app():
    """The real WSGI application. Django closes the database connection at the end of each
    request; inside a test transaction that would end the test's transaction, so not now."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def seeded_ids(world) -> dict[str, list[int]]:
    situations = [
        world.draft,
        world.presented,
        world.accepted,
        world.intervention,
        world.concluded,
    ]
    return {
        "table_id": [world.cast.table.pk],
        "situation_id": [s.pk for s in situations],
        "meeting_id": [world.meeting.pk],
        "task_id": [world.task.pk],
        "agency_id": [world.cast.police.pk, world.cast.housing.pk],
        "consent_id": [world.consent.pk],
        "item_id": [world.agenda_item.pk],
    }


@pytest.mark.parametrize("who", ["chair", "rep_police"])
def test_api_conforms_to_its_schema_under_fuzzing(world, wsgi_app, settings, who):
    settings.API_RATE_LIMIT = None  # thousands of requests with one token
    cache.clear()
    # A read-write token (the default is read-only), as if made after the second factor.
    _instance, token = create_token(
        user=getattr(world.cast, who), scope="write", second_factor=True
    )
    headers = {"Authorization": f"Token {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    ids = seeded_ids(world)
    stats = Counter()
    failures = {}

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 45
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @hypothesis.given(case=operation.as_strategy(generation_mode=mode), data=st.data())
            @hypothesis.settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case, data):
                for name in list(case.path_parameters or {}):
                    if name in ids and data.draw(st.integers(0, 9)):
                        case.path_parameters[name] = data.draw(st.sampled_from(ids[name]))
                response = case.call(headers=headers)
                stats["examples"] += 1
                stats[response.status_code] += 1
                case.validate_response(response, checks=CHECKS)

            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                # Nothing invalid to send (no parameters, or a free-text path key).
                stats["operations without negative examples"] += 1
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 — report all at once
                failures[f"{operation.label} ({mode.value})"] = str(exc)[:2000]
    counts = dict(sorted(stats.items(), key=str))
    print(f"\nschemathesis as {who}: {len(operations)} operations, {counts}")
    assert stats[500] == 0
    assert failures == {}, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
