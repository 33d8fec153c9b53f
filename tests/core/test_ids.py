"""Ids in page addresses: a number no row can have is a 404 on every database, never a 500
(SQLite's driver raises OverflowError past 64 bits)."""

import pytest

HUGE = "1" + "0" * 30
PAST_64_BITS = str(2**63)
LARGEST = str(2**63 - 1)


@pytest.mark.parametrize("number", [HUGE, PAST_64_BITS, LARGEST])
def test_table_page_with_an_impossible_id_is_404(client, cast, number):
    client.force_login(cast.chair)
    assert client.get(f"/tables/{number}/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "situations/{n}/",
        "situations/{n}/edit/",
        "meetings/{n}/",
        "meetings/{n}/mode/",
        "situations/{n}/people/reveal/",
        "reports/meetings/{n}/summary.csv",
        "members/{n}/deactivate/",
    ],
)
@pytest.mark.parametrize("number", [HUGE, PAST_64_BITS])
def test_pages_under_a_table_with_an_impossible_id_are_404(client, cast, path, number):
    client.force_login(cast.chair)
    response = client.get(f"/tables/{cast.table.pk}/" + path.format(n=number))
    assert response.status_code == 404


def test_notification_with_an_impossible_id_is_404(client, cast):
    client.force_login(cast.rep_police)
    assert client.post(f"/notifications/{HUGE}/read/").status_code == 404


def test_huge_id_in_the_first_issue_report_is_404(client, cast):
    client.force_login(cast.chair)
    assert client.get("/tables/1000000000000000000000000000000/").status_code == 404
