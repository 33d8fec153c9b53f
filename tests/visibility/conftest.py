"""The world of the visibility tests: one table with an agency for every audience of DESIGN §2a,
a member of each, an outsider at another table, and a risk factor whose name is a sentinel."""

import pytest

from agencies.models import Role, Sector
from cases.models import RiskCategory, RiskFactor
from tests.conftest import accept_current_agreements
from tests.factories import AgencyFactory, MembershipFactory, TableFactory, UserFactory

from .sentinels import S


@pytest.fixture
def world(db):
    table = TableFactory(name="Matrix Table", code="MTX")
    elsewhere = TableFactory(name="Other Table", code="OTH")
    sector = Sector.objects.get(code="community")

    def agency(name):
        a = AgencyFactory(name=f"Matrix {name}", short_name=name.upper()[:6], sector=sector)
        table.agencies.add(a)
        return a

    agencies = {
        name: agency(name)
        for name in ("orig", "named1", "named2", "lead", "assist", "other", "office")
    }

    def member(username, role, agency_obj, on=table):
        return MembershipFactory(
            user=UserFactory(username=username), table=on, agency=agency_obj, role=role
        ).user

    users = {
        "originating": member("m-orig", Role.REPRESENTATIVE, agencies["orig"]),
        "chair": member("m-chair", Role.CHAIR, agencies["office"]),
        "coordinator": member("m-coord", Role.COORDINATOR, agencies["office"]),
        "named_disclosed": member("m-named1", Role.REPRESENTATIVE, agencies["named1"]),
        "named_undisclosed": member("m-named2", Role.REPRESENTATIVE, agencies["named2"]),
        "lead": member("m-lead", Role.REPRESENTATIVE, agencies["lead"]),
        "assisting": member("m-assist", Role.REPRESENTATIVE, agencies["assist"]),
        "other": member("m-other", Role.REPRESENTATIVE, agencies["other"]),
        "privacy": member("m-privacy", Role.PRIVACY_OFFICER, agencies["office"]),
        "outsider": member("m-outsider", Role.CHAIR, AgencyFactory(name="Elsewhere"), on=elsewhere),
    }
    accept_current_agreements(*users.values())
    category = RiskCategory.objects.create(code="mtx", name_en="Matrix", name_fr="Matrice")
    factor = RiskFactor.objects.create(
        code="mtx.sentinel", name_en=S["factor"], name_fr=S["factor"], category=category
    )
    return {"table": table, "agencies": agencies, "users": users, "factor": factor}
