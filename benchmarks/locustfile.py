"""Locust load profile (``benchmarks/load.py`` starts everything; loopback only).

Four kinds of users over one demo table: people browsing pages with a session, agencies logging
situations through the API (one in five sends its POST twice with the same Idempotency-Key, as
a client retrying after a timeout would), chairs recording Filter 2 decisions, and integrations
reading lists. Acknowledged writes (201 with their reference) and every 5xx are written to
``LOAD_RESULT_FILE`` for the runner to check against the database.
"""

import json
import os
import random
import string
import uuid

from locust import HttpUser, between, events, task

TABLE = os.environ["LOAD_TABLE_ID"]
REP_TOKEN = os.environ["LOAD_REP_TOKEN"]
CHAIR_TOKEN = os.environ["LOAD_CHAIR_TOKEN"]
PASSWORD = os.environ.get("DEMO_PASSWORD", "situation-table-demo")
REPS = ["rep-police", "rep-mental-health", "rep-housing", "rep-education"]

ACKED: list[str] = []
FIVE_XX: list[str] = []


@events.request.add_listener
def _count_5xx(request_type, name, response_time, response_length, response=None, **kw):
    if response is not None and getattr(response, "status_code", 0) >= 500:
        FIVE_XX.append(f"{request_type} {name} {response.status_code}")


@events.test_stop.add_listener
def _write_results(environment, **kw):
    with open(os.environ["LOAD_RESULT_FILE"], "w") as handle:
        json.dump({"acked": ACKED, "five_xx": FIVE_XX}, handle)


def reference() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=12))


class Browsing(HttpUser):
    weight = 2
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.client.get("/accounts/login/", name="login page")
        token = self.client.cookies.get("csrftoken", "")
        self.client.post(
            "/accounts/login/",
            {"username": random.choice(REPS), "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/accounts/login/"},
            name="sign in",
        )

    @task(3)
    def overview(self):
        self.client.get(f"/tables/{TABLE}/", name="table overview")

    @task(3)
    def situations(self):
        self.client.get(f"/tables/{TABLE}/situations/", name="situation list")

    @task(1)
    def meetings(self):
        self.client.get(f"/tables/{TABLE}/meetings/", name="meeting list")


class Intake(HttpUser):
    weight = 2
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {REP_TOKEN}"

    @task
    def log_situation(self):
        ref = reference()
        body = {
            "subject_type": "individual",
            "age_group": "18-24",
            "gender": "male",
            "narrative": f"Adult with several police calls this month, load reference {ref}.",
            "risk_factors": ["drugs.person"],
        }
        key = str(uuid.uuid4())
        url = f"/api/v1/tables/{TABLE}/situations/"
        response = self.client.post(url, json=body, headers={"Idempotency-Key": key}, name="intake")
        if random.random() < 0.2:  # a client retrying: must not create a second situation
            self.client.post(url, json=body, headers={"Idempotency-Key": key}, name="intake retry")
        if response.status_code == 201:
            ACKED.append(ref)
            situation = response.json()["id"]
            self.client.post(f"{url}{situation}/attest/", json={}, name="F1 attest")


class Chair(HttpUser):
    weight = 1
    wait_time = between(1, 2)

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {CHAIR_TOKEN}"

    @task
    def decide(self):
        listing = self.client.get(
            f"/api/v1/tables/{TABLE}/situations/?status=presented", name="presented list"
        )
        if listing.status_code != 200:
            return
        rows = listing.json().get("results", [])
        if not rows:
            return
        situation = random.choice(rows)["id"]
        with self.client.post(
            f"/api/v1/tables/{TABLE}/situations/{situation}/reject/",
            json={"reason": "Single-sector risk; the agency keeps it."},
            name="F2 decision",
            catch_response=True,
        ) as response:
            if response.status_code == 409:  # another chair decided first: correct, not an error
                response.success()


class Integration(HttpUser):
    weight = 1
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {REP_TOKEN}"

    @task(2)
    def situations(self):
        self.client.get(f"/api/v1/tables/{TABLE}/situations/", name="api situations")

    @task(1)
    def meetings(self):
        self.client.get(f"/api/v1/tables/{TABLE}/meetings/", name="api meetings")
