import pytest
from django.urls import reverse

from agencies.models import Membership, Role
from agencies.permissions import ROLE_CAPABILITIES, Capability, get_table_access, table_access

C = Capability

EXPECTED = {
    "chair": {
        C.VIEW_TABLE, C.VIEW_SITUATIONS, C.CREATE_SITUATION, C.RECORD_DECISIONS, C.DISCLOSE,
        C.MANAGE_MEETINGS, C.EXPORT, C.VIEW_STATISTICS, C.UPDATE_OWN_TASKS,
    },
    "coordinator": {
        C.VIEW_TABLE, C.VIEW_SITUATIONS, C.MANAGE_MEETINGS, C.MANAGE_MEMBERS, C.EXPORT,
        C.VIEW_STATISTICS,
    },
    "rep_police": {C.VIEW_TABLE, C.VIEW_SITUATIONS, C.CREATE_SITUATION, C.UPDATE_OWN_TASKS},
    "privacy": {C.VIEW_TABLE, C.VIEW_SITUATIONS, C.VIEW_AUDIT},
}  # fmt: skip


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_each_role_gets_exactly_what_the_design_grants(cast, who):
    access = get_table_access(getattr(cast, who), cast.table.pk)
    granted = {cap for cap in Capability if access.can(cap)}
    assert granted == EXPECTED[who]


def test_every_role_has_a_capability_set():
    assert set(ROLE_CAPABILITIES) == set(Role.values)


def test_template_style_capability_lookup(cast):
    access = get_table_access(cast.chair, cast.table.pk)
    assert access.can_record_decisions is True
    assert get_table_access(cast.rep_police, cast.table.pk).can_record_decisions is False
    with pytest.raises(AttributeError):
        _ = access.can_fly


def test_member_of_another_table_has_no_access(cast):
    assert table_access(cast.outsider, cast.table.pk) is None
    assert table_access(cast.nobody, cast.table.pk) is None


def test_inactive_membership_gives_no_access(cast):
    Membership.objects.filter(user=cast.rep_police).update(is_active=False)
    assert table_access(cast.rep_police, cast.table.pk) is None


def test_table_page_shows_members_to_a_member(client, cast):
    client.force_login(cast.rep_police)
    response = client.get(reverse("table-members", args=[cast.table.pk]))
    assert response.status_code == 200
    assert b"Test Housing" in response.content


@pytest.mark.parametrize("who", ["outsider", "nobody"])
def test_non_member_gets_404_for_table_page(client, cast, who):
    client.force_login(getattr(cast, who))
    response = client.get(reverse("table-members", args=[cast.table.pk]))
    assert response.status_code == 404
    assert b"Northside Test Table" not in response.content


def test_unknown_table_id_is_404(client, cast):
    client.force_login(cast.chair)
    assert client.get("/tables/999999/").status_code == 404


def test_anonymous_user_is_sent_to_login(client, cast):
    response = client.get(reverse("table-members", args=[cast.table.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_home_lists_only_my_tables_with_role(client, cast):
    client.force_login(cast.chair)
    body = client.get(reverse("home")).content.decode()
    assert "Northside Test Table" in body
    assert "Chair" in body
    assert "Elsewhere Table" not in body
