"""Who may download what: chair and coordinator yes; representatives and privacy officers get
403; members of another table and strangers learn nothing (404 / login)."""

import pytest
from django.urls import reverse

from cases.models import Meeting


def table_wide_urls(table_id):
    q = "?from=2025-01-01&to=2025-03-31"
    return [
        reverse("reports-exports", args=[table_id]),
        reverse("reports-rtd-csv", args=[table_id]) + q,
        reverse("reports-statistics", args=[table_id]) + q,
        reverse("reports-statistics-csv", args=[table_id]) + q,
        reverse("reports-public", args=[table_id]) + q,
        reverse("reports-public-pdf", args=[table_id]) + q,
    ]


def summary_urls(table_id, meeting_id):
    return [
        reverse("reports-meeting-summary-pdf", args=[table_id, meeting_id]),
        reverse("reports-meeting-summary-csv", args=[table_id, meeting_id]),
    ]


def fetch(client, url):
    response = client.get(url)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


@pytest.mark.parametrize("who", ["chair", "coordinator"])
def test_chair_and_coordinator_can_download_everything(client, seeded, who):
    cast = seeded.cast
    client.force_login(getattr(cast, who))
    urls = table_wide_urls(cast.table.pk) + summary_urls(cast.table.pk, seeded.meetings["jan"].pk)
    for url in urls:
        assert fetch(client, url).status_code == 200, url


@pytest.mark.parametrize("who", ["rep_police", "rep_housing", "privacy"])
def test_representatives_and_privacy_officer_cannot_download_table_wide_exports(
    client, seeded, who
):
    cast = seeded.cast
    client.force_login(getattr(cast, who))
    urls = table_wide_urls(cast.table.pk) + summary_urls(cast.table.pk, seeded.meetings["jan"].pk)
    for url in urls:
        response = fetch(client, url)
        assert response.status_code == 403, url
        assert seeded.number("s1").encode() not in response.content


def test_member_of_another_table_gets_404_and_learns_nothing(client, seeded):
    cast = seeded.cast
    client.force_login(cast.outsider)
    urls = table_wide_urls(cast.table.pk) + summary_urls(cast.table.pk, seeded.meetings["jan"].pk)
    for url in urls:
        response = fetch(client, url)
        assert response.status_code == 404, url
        assert seeded.number("s1").encode() not in response.content


def test_a_meeting_of_another_table_is_404_even_for_a_chair(client, seeded):
    cast = seeded.cast
    other = Meeting.objects.create(table=cast.other_table, scheduled_at=seeded.s["s1"].created_at)
    client.force_login(cast.chair)
    for url in summary_urls(cast.table.pk, other.pk):
        assert client.get(url).status_code == 404, url


def test_anonymous_visitors_are_sent_to_the_login_page(client, seeded):
    cast = seeded.cast
    for url in table_wide_urls(cast.table.pk):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_navigation_shows_statistics_and_exports_only_to_those_who_may_use_them(client, seeded):
    cast = seeded.cast
    overview = reverse("table-overview", args=[cast.table.pk])
    stats = reverse("reports-statistics", args=[cast.table.pk])
    exports = reverse("reports-exports", args=[cast.table.pk])
    client.force_login(cast.coordinator)
    body = client.get(overview).content.decode()
    assert f'href="{stats}"' in body and f'href="{exports}"' in body
    client.force_login(cast.rep_police)
    body = client.get(overview).content.decode()
    assert f'href="{stats}"' not in body and f'href="{exports}"' not in body


def test_meeting_page_offers_the_summary_only_to_those_who_may_export(client, seeded):
    cast, jan = seeded.cast, seeded.meetings["jan"]
    page = reverse("meeting-detail", args=[cast.table.pk, jan.pk])
    pdf, csv = summary_urls(cast.table.pk, jan.pk)
    client.force_login(cast.coordinator)
    body = client.get(page).content.decode()
    assert "Download summary (PDF)" in body and pdf in body and csv in body
    client.force_login(cast.rep_housing)
    body = client.get(page).content.decode()
    assert "Download summary" not in body and pdf not in body
