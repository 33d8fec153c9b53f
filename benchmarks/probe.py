"""In-process half of ``make bench``, run once per database by ``benchmarks/run.py``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/st_bench_100000 DJANGO_ENV=development \\
        DEBUG=0 OTP_ENFORCED=0 .venv/bin/python benchmarks/probe.py [--explain FILE] [--decrypt]

On the table seeded by ``manage.py seed_bulk`` (code BLK) it

* picks the pages to measure (the current meeting, an open and an old concluded situation, …) and
  checks that each answers 200 to the chair (not a redirect to sign-in, agreement or 2FA);
* counts the SQL queries of each page (django.test.Client, after one warm-up request);
* creates a session for the chair, whose cookie the HTTP load generator sends;
* with ``--explain FILE``, writes EXPLAIN (ANALYZE, BUFFERS) of each page's slowest queries;
* with ``--decrypt``, times a 50-row situation list with and without decrypting each row's
  identifying information.

It prints one JSON object on its last line of standard output.
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "situation_table.settings")

CODE = "BLK"
USERNAME = "bulk-chair"
BARE = "Bare view (constant page)"
DECRYPT_ROWS = 50
DECRYPT_REPEAT = 300


def pages(table_id: int) -> list[tuple[str, str]]:
    """(label, path) of every measured page, in the order of the results table."""
    from django.conf import settings
    from django.urls import reverse
    from django.utils import timezone

    from cases.models import Meeting, Situation, Status

    today = timezone.localdate()
    # The meeting seed_bulk scheduled on the day it ran: the table's latest, still open. (Not
    # "scheduled today": the seeded databases are kept from one day to the next.)
    meeting = (
        Meeting.objects.filter(table_id=table_id, closed_at__isnull=True)
        .order_by("-scheduled_at")
        .first()
    )
    if meeting is None:
        raise SystemExit(f"No open meeting on {CODE}: rerun with --fresh.")
    situations = Situation.objects.filter(table_id=table_id)
    open_one = (
        situations.filter(status=Status.INTERVENTION, agenda_items__meeting=meeting)
        .order_by("id")
        .first()
    )
    old_one = situations.filter(status=Status.CONCLUDED).order_by("created_at", "id").first()
    four_years = today - datetime.timedelta(days=4 * 365 + 1)
    t = table_id
    return [
        ("Meeting mode (current meeting)", reverse("meeting-mode", args=[t, meeting.pk])),
        ("Meeting page (current meeting)", reverse("meeting-detail", args=[t, meeting.pk])),
        ("Situation list", reverse("situation-list", args=[t])),
        ("Situation list, concluded", reverse("situation-list", args=[t]) + "?status=concluded"),
        ("Situation detail, open", reverse("situation-detail", args=[t, open_one.pk])),
        ("Situation detail, old concluded", reverse("situation-detail", args=[t, old_one.pk])),
        ("Statistics, last 12 months", reverse("reports-statistics", args=[t])),
        (
            "Statistics, 4 years",
            reverse("reports-statistics", args=[t])
            + f"?from={four_years.isoformat()}&to={today.isoformat()}",
        ),
        ("API situations", f"/api/v1/tables/{t}/situations/"),
        ("API meetings", f"/api/v1/tables/{t}/meetings/"),
        ("API tasks", f"/api/v1/tables/{t}/tasks/"),
        *([(BARE, "/__bench__/constant/")] if settings.BENCH_CONSTANT_VIEW else []),
    ]


def session_cookie(user) -> str:
    """A signed-in session for ``user``, as a browser would hold after signing in."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from agencies.signals import LAST_ACTIVITY_KEY

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[LAST_ACTIVITY_KEY] = int(time.time())
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def count_queries(user, urls) -> dict[str, dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from agencies.signals import LAST_ACTIVITY_KEY

    client = Client()
    client.force_login(user)
    for _label, path in urls:  # warm-up: first-use caches
        client.get(path)
    result = {}
    for label, path in urls:
        # A fresh activity stamp, so that the idle-timeout middleware's once-a-minute session
        # write (the warm-up of a slow page can take that long) is not counted as the page's.
        session = client.session
        session[LAST_ACTIVITY_KEY] = int(time.time())
        session.save()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        result[label] = {
            "path": path,
            "status": response.status_code,
            "queries": len(captured.captured_queries),
            "captured": captured.captured_queries,
        }
    return result


def explain(counted: dict, out: Path, top: int = 3) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of each page's ``top`` slowest SELECTs, into ``out``."""
    from django.db import connection

    lines = [
        "# EXPLAIN ANALYZE of the slowest queries per page",
        "",
        f"Database `{connection.settings_dict['NAME']}`, written by `benchmarks/probe.py"
        f" --explain` ({datetime.date.today().isoformat()}).",
        "",
    ]
    for label, info in counted.items():
        # Not the session lookup: a primary-key read, and its key is a live sign-in.
        selects = [
            q
            for q in info["captured"]
            if q["sql"].lstrip().upper().startswith("SELECT") and "django_session" not in q["sql"]
        ]
        selects.sort(key=lambda q: float(q["time"]), reverse=True)
        lines += [f"## {label}", "", f"`{info['path']}` — {info['queries']} queries", ""]
        for q in selects[:top]:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                plan = "\n".join(row[0] for row in cursor.fetchall())
            lines += ["```sql", q["sql"][:1500], "```", "```", plan, "```", ""]
    out.write_text("\n".join(lines))


def decryption_overhead(access) -> dict:
    """Median time to build and render a 50-row API situation list, without and with each row's
    identifying information. "With" reads the ciphertexts in the same query (one correlated
    subquery, no extra round trip), decrypts every person and renders the fields."""
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models import OuterRef
    from rest_framework.renderers import JSONRenderer

    from cases import selectors
    from cases.api.serializers import SituationSerializer
    from consent import crypto
    from consent.models import IdentifyingInfo

    ids = list(
        IdentifyingInfo.objects.filter(situation__table=access.table)
        .order_by("-situation_id")
        .values_list("situation_id", flat=True)
        .distinct()[:DECRYPT_ROWS]
    )
    rows = selectors.situation_list(access).filter(pk__in=ids).order_by("-created_at", "-id")
    ciphertexts = IdentifyingInfo.objects.filter(situation=OuterRef("pk")).order_by("id")
    rows_with_people = rows.annotate(people=ArraySubquery(ciphertexts.values("ciphertext")))

    def without():
        return JSONRenderer().render(SituationSerializer(list(rows), many=True).data)

    def with_people():
        situations = list(rows_with_people)
        data = SituationSerializer(situations, many=True).data
        for item, situation in zip(data, situations, strict=True):
            item["people"] = [crypto.decrypt_json(token) for token in situation.people]
        return JSONRenderer().render(data)

    tokens = [t for s in rows_with_people for t in s.people]

    def decrypt_only():
        for token in tokens:
            crypto.decrypt_json(token)

    for _ in range(10):  # warm-up
        without()
        with_people()

    # Paired: each repetition times both variants back to back, so that noise from other
    # processes on the machine hits both alike; the overhead is the median of the pairs' ratios.
    def timed(function) -> float:
        started = time.perf_counter()
        function()
        return time.perf_counter() - started

    plain, full, ratios = [], [], []
    for i in range(DECRYPT_REPEAT):
        if i % 2:  # alternate which goes first
            b, w = timed(without), timed(with_people)
        else:
            w, b = timed(with_people), timed(without)
        plain.append(b)
        full.append(w)
        ratios.append(w / b)
    decrypt = [timed(decrypt_only) for _ in range(DECRYPT_REPEAT)]
    base, with_ = statistics.median(plain) * 1000, statistics.median(full) * 1000
    alone = statistics.median(decrypt) * 1000
    return {
        "rows": len(ids),
        "people": len(tokens),
        "without_ms": base,
        "with_ms": with_,
        "decrypt_ms": alone,
        "overhead": statistics.median(ratios) - 1,
        "decrypt_share": alone / base,
        "decrypt_us_per_person": alone * 1000 / max(len(tokens), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--explain", type=Path, help="write EXPLAIN ANALYZE plans to this file")
    parser.add_argument("--decrypt", action="store_true", help="measure decryption overhead")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from agencies.models import Table
    from agencies.permissions import get_table_access
    from cases.models import Situation

    table = Table.objects.get(code=CODE)
    user = get_user_model().objects.get(username=USERNAME)
    urls = pages(table.pk)
    counted = count_queries(user, urls)
    if args.explain:
        explain(counted, args.explain)
    result = {
        "table_id": table.pk,
        "situations": Situation.objects.filter(table=table).count(),
        "cookie": session_cookie(user),
        "pages": [
            {
                "label": label,
                "path": info["path"],
                "status": info["status"],
                "queries": info["queries"],
            }
            for label, info in counted.items()
        ],
    }
    if args.decrypt:
        result["decrypt"] = decryption_overhead(get_table_access(user, table.pk))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
