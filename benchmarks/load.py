"""``make load``: 50 locust users against gunicorn on loopback, bounded in time.

Creates its own PostgreSQL database (``LOAD_POSTGRES``, default the local trust user), migrates,
seeds the demo, starts gunicorn on 127.0.0.1, runs locust headless (``LOAD_USERS`` 50,
``LOAD_SECONDS`` 60), then checks every acknowledged write against the database and writes
``benchmarks/load-results.md``: requests/s, p50/p95/p99, 5xx count, lost and duplicated writes.
Needs locust (``pip install 'locust>=2.40,<2.48'``, or set ``LOCUST`` to its executable).
"""

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
USERS = int(os.environ.get("LOAD_USERS", "50"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
POSTGRES = os.environ.get("LOAD_POSTGRES", "postgres://postgres@127.0.0.1:5432")
LOCUST = os.environ.get("LOCUST") or shutil.which("locust") or "locust"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env, *args) -> str:
    return subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


def main() -> int:
    name = f"st_load_{os.getpid()}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"{POSTGRES}/{name}",
        "DJANGO_ENV": "development",
        "DEBUG": "false",
        "OTP_ENFORCED": "false",  # the load users sign in with a password only
        "AXES_ENABLED": "false",  # 50 sign-ins from one address are not an attack here
        "API_RATE_LIMIT": "1000000/hour",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    server = None
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo")
        table = (
            subprocess.run(
                [
                    PY,
                    "manage.py",
                    "shell",
                    "-c",
                    "from agencies.models import Table; print(Table.objects.get(code='NST').pk)",
                ],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        rep_token = manage(env, "create_api_token", "rep-police").strip().splitlines()[-1]
        chair_token = manage(env, "create_api_token", "chair").strip().splitlines()[-1]
        server = subprocess.Popen(
            [
                str(Path(PY).parent / "gunicorn"),
                "situation_table.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "3",
                "--threads",
                "2",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.5)
        out = Path(tempfile.mkdtemp(prefix="st-load-"))
        result_file = out / "writes.json"
        started = time.monotonic()
        subprocess.run(
            [
                LOCUST,
                "-f",
                str(ROOT / "benchmarks" / "locustfile.py"),
                "--headless",
                "-u",
                str(USERS),
                "-r",
                "10",
                "-t",
                f"{SECONDS}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(out / "load"),
                "--only-summary",
                "--stop-timeout",
                "10",
            ],
            cwd=ROOT,
            env={
                **env,
                "LOAD_TABLE_ID": table,
                "LOAD_REP_TOKEN": rep_token,
                "LOAD_CHAIR_TOKEN": chair_token,
                "LOAD_RESULT_FILE": str(result_file),
            },
            check=False,
            timeout=SECONDS + 120,
        )
        wall = time.monotonic() - started
        with open(out / "load_stats.csv") as handle:
            stats = {row["Name"]: row for row in csv.DictReader(handle)}
        total = stats["Aggregated"]
        writes = json.loads(result_file.read_text())
        acked = writes["acked"]
        with psycopg.connect(f"{POSTGRES}/{name}") as conn:
            found = dict(
                conn.execute(
                    "SELECT substring(narrative from 'load reference ([a-z]+)'), count(*) "
                    "FROM cases_situation WHERE narrative LIKE '%%load reference%%' GROUP BY 1"
                ).fetchall()
            )
        lost = sum(1 for ref in acked if ref not in found)
        duplicated = sum(n - 1 for n in found.values() if n > 1)
        unacked_extra = sum(1 for ref in found if ref not in set(acked))
        lines = [
            f"# Load test: {USERS} users, {SECONDS} s, gunicorn 3×2 on loopback, PostgreSQL",
            "",
            "| measure | value |",
            "|---|---|",
            f"| requests | {total['Request Count']} |",
            f"| requests/s | {float(total['Requests/s']):.1f} |",
            f"| p50 / p95 / p99 (ms) | {total['50%']} / {total['95%']} / {total['99%']} |",
            f"| failures (locust) | {total['Failure Count']} |",
            f"| HTTP 5xx | {len(writes['five_xx'])} |",
            f"| acknowledged intakes | {len(acked)} |",
            f"| lost writes | {lost} |",
            f"| duplicated writes | {duplicated} |",
            f"| situations in the DB not acknowledged (client gave up) | {unacked_extra} |",
            f"| wall time (s) | {wall:.0f} |",
            "",
            "| request | count | failures | p50 | p95 | p99 |",
            "|---|---|---|---|---|---|",
        ]
        for row_name, row in stats.items():
            if row_name != "Aggregated":
                lines.append(
                    f"| {row['Type']} {row_name} | {row['Request Count']} | {row['Failure Count']}"
                    f" | {row['50%']} | {row['95%']} | {row['99%']} |"
                )
        report = "\n".join(lines) + "\n"
        (ROOT / "benchmarks" / "load-results.md").write_text(report)
        print(report)
        return 0 if not writes["five_xx"] and not lost and not duplicated else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
