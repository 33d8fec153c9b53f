"""Demo data for ``seed_demo``: tables, agencies and people with stable usernames.

Idempotent: running it twice changes nothing. Later features extend the demo in their own apps.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Agency, Membership, Role, Sector, Table

NORTHSIDE = ("Northside Situation Table", "NST")
LAKEVIEW = ("Lakeview Situation Table", "LST")

# (sector code, agency name, short name)
NORTHSIDE_AGENCIES = [
    ("police", "Northside Police Service", "NPS"),
    ("mental-health", "Canadian Mental Health Association — Northside", "CMHA"),
    ("addictions", "Northside Addiction Services", "NAS"),
    ("child-welfare", "Northside Children's Aid Society", "CAS"),
    ("education", "Northside District School Board", "NDSB"),
    ("housing", "Northside Housing Corporation", "NHC"),
    ("income-support", "Ontario Works — Northside", "OW"),
    ("health-care", "Northside Community Health Centre", "NCHC"),
    ("community", "City of Northside Community Safety Office", "CSO"),
]
LAKEVIEW_AGENCIES = [
    ("police", "Lakeview Regional Police", "LRP"),
    ("mental-health", "Lakeview Mental Health Services", "LMHS"),
    ("housing", "Lakeview Shelter Network", "LSN"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    table: str
    agency_short: str
    role: str


def demo_users() -> list[DemoUser]:
    nst, lst = NORTHSIDE[1], LAKEVIEW[1]
    users = [
        DemoUser("chair", "Dana", "Whitfield", nst, "CMHA", Role.CHAIR),
        DemoUser("coordinator", "Sam", "Okafor", nst, "CSO", Role.COORDINATOR),
        DemoUser("privacy", "Priya", "Raman", nst, "CSO", Role.PRIVACY_OFFICER),
    ]
    reps = {
        "police": ("Marc", "Leblanc"),
        "mental-health": ("Aisha", "Nouri"),
        "addictions": ("Tom", "Beaulieu"),
        "child-welfare": ("Grace", "Mensah"),
        "education": ("Luc", "Tremblay"),
        "housing": ("Nina", "Kowalski"),
        "income-support": ("Omar", "Haddad"),
        "health-care": ("Julie", "Fortin"),
    }
    for sector, _name, short in NORTHSIDE_AGENCIES:
        if sector in reps:
            first, last = reps[sector]
            users.append(DemoUser(f"rep-{sector}", first, last, nst, short, Role.REPRESENTATIVE))
    users += [
        DemoUser("lakeview-chair", "Robin", "Hale", lst, "LMHS", Role.CHAIR),
        DemoUser("lakeview-rep", "Casey", "Moreau", lst, "LRP", Role.REPRESENTATIVE),
    ]
    return users


@transaction.atomic
def seed_tables_and_people(password: str | None = None) -> dict:
    """Create (or bring up to date) the demo tables, agencies and users. Returns counts."""
    password = password or settings.DEMO_PASSWORD
    sectors = {s.code: s for s in Sector.objects.all()}
    tables = {}
    agencies = {}
    for (name, code), agency_rows in (
        (NORTHSIDE, NORTHSIDE_AGENCIES),
        (LAKEVIEW, LAKEVIEW_AGENCIES),
    ):
        table, _ = Table.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "description": "Demo table: weekly meetings on acutely elevated risk situations.",
            },
        )
        tables[code] = table
        for sector, agency_name, short in agency_rows:
            agency, _ = Agency.objects.get_or_create(
                name=agency_name, defaults={"short_name": short, "sector": sectors[sector]}
            )
            agencies[(code, short)] = agency
            table.agencies.add(agency)

    User = get_user_model()
    created_users = 0
    for demo in demo_users():
        user, created = User.objects.get_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@demo.situation-table.invalid",
            },
        )
        if created or not user.check_password(password):
            user.set_password(password)
            user.save()
        created_users += int(created)
        Membership.objects.update_or_create(
            user=user,
            table=tables[demo.table],
            defaults={
                "agency": agencies[(demo.table, demo.agency_short)],
                "role": demo.role,
                "is_active": True,
            },
        )
    return {"tables": tables, "agencies": agencies, "created_users": created_users}
