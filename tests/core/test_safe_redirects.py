"""One guard against open redirects, used by every view that follows a ``next`` parameter."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from core.http import safe_next_url

OFF_SITE = [
    "https://evil.example/",
    "//evil.example/path",
    "/\\evil.example",
    "http://testserver.evil.example/",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_off_site_targets_fall_back_to_the_default(target):
    request = RequestFactory().post("/x/", {"next": target})
    assert safe_next_url(request, "/home/") == "/home/"


def test_a_path_on_this_site_under_the_prefix_is_followed():
    request = RequestFactory().get("/x/", {"next": "/tables/1/tasks/?done=1"})
    assert safe_next_url(request, "/home/", prefix="/tables/1/") == "/tables/1/tasks/?done=1"
    assert safe_next_url(request, "/home/", prefix="/tables/2/") == "/home/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_meeting_attendance_never_redirects_off_site(client, cast, target):
    from django.utils import timezone

    from cases.models import Meeting

    meeting = Meeting.objects.create(table=cast.table, scheduled_at=timezone.now())
    client.force_login(cast.coordinator)
    url = reverse("meeting-attendance", args=[cast.table.pk, meeting.pk, cast.police.pk])
    response = client.post(url, {"present": "1", "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("meeting-detail", args=[cast.table.pk, meeting.pk])


def test_meeting_attendance_follows_a_next_on_the_same_table(client, cast):
    from django.utils import timezone

    from cases.models import Meeting

    meeting = Meeting.objects.create(table=cast.table, scheduled_at=timezone.now())
    client.force_login(cast.coordinator)
    url = reverse("meeting-attendance", args=[cast.table.pk, meeting.pk, cast.police.pk])
    mode = reverse("meeting-mode", args=[cast.table.pk, meeting.pk])
    response = client.post(url, {"present": "1", "next": mode})
    assert response["Location"] == mode
