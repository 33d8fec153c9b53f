"""Demo data for ``seed_demo``: tables, agencies and people with stable usernames.

Idempotent: running it twice changes nothing. Later features extend the demo in their own apps.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

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


# --- Onboarding: the information-sharing agreement and demo backup codes -------------------------

# This person has not accepted the agreement, so the demo shows the gate in front of situations.
DEMO_AGREEMENT_PENDING = "rep-income-support"
# Privileged demo users get backup codes so the demo works without an authenticator app.
DEMO_BACKUP_CODE_USERS = ("chair", "coordinator", "privacy", "lakeview-chair")
DEMO_BACKUP_CODE_COUNT = 5

DEMO_AGREEMENT_TEXT = """\
Information-sharing agreement and terms of reference — {table}

1. Purpose. The member agencies meet to respond quickly and together to situations of acutely \
elevated risk of harm: a person, family or place where the risk is high, imminent, and beyond \
what one agency can lower alone.

2. The four filters. A situation is presented de-identified. Only after the table accepts it as \
acutely elevated risk (Filter 2) does the originating agency disclose identifying information, and \
then only to the agencies named by the chair, and only the minimum they need (Filter 3).

3. Legal basis. Identifying information is shared with the person's consent where possible; \
without consent only where the originating agency believes on reasonable grounds that sharing is \
necessary to eliminate or reduce a significant risk of serious bodily harm.

4. Confidentiality. What is said at the table stays at the table. Members do not copy identifying \
information into their own agency's records beyond what their intervention requires, and never \
send it by email.

5. Records. The system keeps the de-identified record of each situation, every disclosure and \
every viewing of identifying information. Identifying information is deleted a set number of \
days after the situation is concluded.

6. Members. Each agency names its representatives. The coordinator removes a person's access as \
soon as they leave the table. Breaches are reported to the chair and the privacy officer the \
same day.
"""


@transaction.atomic
def seed_agreements() -> None:
    """Version 1 of an agreement for each demo table, accepted by every demo user but one."""
    from . import services  # local: services imports permissions, which imports these models
    from .models import AgreementVersion

    User = get_user_model()
    for name, code in (NORTHSIDE, LAKEVIEW):
        table = Table.objects.get(code=code)
        if not AgreementVersion.objects.filter(table=table).exists():
            author = Membership.objects.filter(table=table, role=Role.CHAIR).first().user
            AgreementVersion.objects.create(
                table=table,
                version=1,
                text=DEMO_AGREEMENT_TEXT.format(table=name),
                published_at=timezone.now(),
                published_by=author,
            )
    for demo in demo_users():
        if demo.username == DEMO_AGREEMENT_PENDING:
            continue
        user = User.objects.get(username=demo.username)
        version = services.current_agreement(Table.objects.get(code=demo.table))
        services.accept_agreement(actor=user, version=version)


@transaction.atomic
def seed_backup_codes() -> dict[str, list[str]]:
    """Top up each privileged demo user's backup codes (each works once) and return them."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    from .services import BACKUP_DEVICE_NAME

    codes = {}
    for username in DEMO_BACKUP_CODE_USERS:
        user = get_user_model().objects.get(username=username)
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
        )
        missing = DEMO_BACKUP_CODE_COUNT - device.token_set.count()
        StaticToken.objects.bulk_create(
            StaticToken(device=device, token=StaticToken.random_token()) for _ in range(missing)
        )
        codes[username] = list(device.token_set.order_by("pk").values_list("token", flat=True))
    return codes
