"""Walk every page and GET endpoint reachable by each audience, with sentinels forbidden.

A world holds one situation at each telling stage, each with its own sentinel narrative, plus
Filter 4 working detail and identifying information. Each audience follows every link it is
shown (and every GET endpoint of the API schema) and must never receive what DESIGN §2a keeps
from it.
"""

import itertools
import re
from collections import deque

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from .sentinels import S
from .test_matrix import build

DRAFT, REJECTED, INTERVENTION = "qqdraftnarrqq", "qqrejectednarrqq", "qqinterventionnarrqq"
F4 = [S["plan"], S["task"], S["notes"]]
FORBIDDEN = {
    "other": [DRAFT, REJECTED, *F4, S["given"]],
    "named_undisclosed": [DRAFT, REJECTED, *F4, S["given"]],
    "privacy": [DRAFT, REJECTED, INTERVENTION, *F4, S["report"], S["given"]],
    "chair": [DRAFT, REJECTED, S["given"]],
    "coordinator": [DRAFT, REJECTED, S["given"]],
    "lead": [DRAFT, REJECTED, S["given"]],
    "outsider": [DRAFT, REJECTED, INTERVENTION, *F4, S["report"], S["given"], S["reason"]],
}
HREF = re.compile(r'href="(/[^"#]*)"')
SKIP = ("/accounts/logout", "/i18n/", "/static/", "/admin/", "/api/docs", "/api/redoc")


def crawl(client: Client, start: list[str], limit: int = 400) -> dict[str, str]:
    seen, queue, bodies = set(start), deque(start), {}
    while queue and len(bodies) < limit:
        path = queue.popleft()
        response = client.get(path)
        assert response.status_code < 500, path
        if response.status_code != 200 or getattr(response, "streaming", False):
            continue
        if "text/html" not in response.get("Content-Type", "") and "json" not in response.get(
            "Content-Type", ""
        ):
            continue
        body = response.content.decode()
        bodies[path] = body
        for link in HREF.findall(body):
            link = link.replace("&amp;", "&")
            if link not in seen and not link.startswith(SKIP):
                seen.add(link)
                queue.append(link)
    return bodies


def api_paths(world, situations, meeting) -> list[str]:
    values = {
        "table_id": [world["table"].pk],
        "situation_id": [s.pk for s in situations],
        "meeting_id": [meeting.pk],
        "agency_id": [a.pk for a in world["agencies"].values()],
    }
    paths = []
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for template, item in schema["paths"].items():
        if "get" not in item:
            continue
        names = [p["name"] for p in item["get"].get("parameters", []) if p["in"] == "path"]
        if any(name not in values for name in names):
            continue
        for combination in itertools.product(*(values[name] for name in names)):
            paths.append(template.format(**dict(zip(names, combination, strict=True))))
    return paths


@pytest.mark.parametrize("who", list(FORBIDDEN))
def test_no_audience_ever_receives_what_the_filters_keep_from_it(world, who):  # noqa: F811
    draft, meeting = build(world, "draft", narrative=DRAFT)
    rejected, _m = build(world, "rejected", narrative=REJECTED)
    intervention, _m = build(world, "intervention", narrative=INTERVENTION)
    client = Client()
    client.force_login(world["users"][who])
    table = world["table"].pk
    start = [f"/tables/{table}/", "/", *api_paths(world, [draft, rejected, intervention], meeting)]
    start += [f"/tables/{table}/situations/{s.pk}/" for s in (draft, rejected, intervention)]
    bodies = crawl(client, start)
    if who != "outsider":
        assert len(bodies) > 25, sorted(bodies)
    leaks = {
        (path, sentinel)
        for path, body in bodies.items()
        for sentinel in FORBIDDEN[who]
        if sentinel in body
    }
    assert leaks == set()
