"""The Notifications page: only my own notifications, read marks, the digest opt-out, and a
constant number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.models import Kind, Notification, NotificationPreference


def notify(user, table, n=1, *, kind=Kind.MEETING_REMINDER, start=0, read=False):
    """Notification rows as the sweep would write them (the sweep itself is tested elsewhere)."""
    now = timezone.now()
    return Notification.objects.bulk_create(
        Notification(
            kind=kind,
            object_id=1000 + start + i,
            slot=f"2h@slot-{start + i}",
            recipient=user,
            table=table,
            data={"scheduled_at": now.isoformat(), "agenda_size": 3},
            due_at=now,
            created_at=now - datetime.timedelta(minutes=start + i),
            read_at=now if read else None,
        )
        for i in range(n)
    )


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


URLS = [
    ("get", "notification-list", []),
    ("get", "notification-open", [1]),
    ("post", "notification-read", [1]),
    ("post", "notification-read-all", []),
    ("post", "notification-preferences", []),
]


@pytest.mark.parametrize(("method", "name", "args"), URLS)
def test_anonymous_visitor_is_sent_to_sign_in(client, db, method, name, args):
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_list_shows_my_notifications_unread_first_then_newest(client, cast):
    old_unread = notify(cast.rep_police, cast.table, start=50)[0]
    read = notify(cast.rep_police, cast.table, start=0, read=True)[0]
    new_unread = notify(cast.rep_police, cast.table, start=10)[0]
    notify(cast.rep_housing, cast.table, start=5)  # someone else's
    Notification.objects.filter(pk=old_unread.pk).update(data={"agenda_size": 7})

    client.force_login(cast.rep_police)
    response = client.get(reverse("notification-list"))

    assert response.status_code == 200
    shown = [n.pk for n in response.context["notifications"]]
    assert shown == [new_unread.pk, old_unread.pk, read.pk]
    assert b"7 situations on the agenda" in response.content


def test_cancelled_notifications_are_not_shown(client, cast):
    (gone,) = notify(cast.rep_police, cast.table)
    Notification.objects.filter(pk=gone.pk).update(cancelled_at=timezone.now())
    client.force_login(cast.rep_police)
    response = client.get(reverse("notification-list"))
    assert list(response.context["notifications"]) == []
    assert "Nothing here yet" in response.content.decode()


def test_top_bar_shows_my_unread_count(client, cast):
    notify(cast.rep_police, cast.table, 3)
    notify(cast.rep_police, cast.table, 2, start=10, read=True)
    notify(cast.rep_housing, cast.table, 4, start=20)
    client.force_login(cast.rep_police)
    html = client.get(reverse("home")).content.decode()
    assert 'Notifications <span class="badge">3<span class="visually-hidden"> unread' in html


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client, cast):
    (n,) = notify(cast.rep_police, cast.table)
    client.force_login(cast.rep_police)
    response = client.get(reverse("notification-open", args=[n.pk]))
    assert response.status_code == 302
    assert response.url == reverse("meeting-detail", args=[cast.table.pk, n.object_id])
    n.refresh_from_db()
    assert n.read_at is not None


def test_mark_read_returns_to_the_page_i_was_on(client, cast):
    (n,) = notify(cast.rep_police, cast.table)
    client.force_login(cast.rep_police)
    next_url = reverse("notification-list") + "?page=1"
    response = client.post(reverse("notification-read", args=[n.pk]), {"next": next_url})
    assert response.url == next_url
    assert Notification.objects.get(pk=n.pk).read_at is not None
    evil = client.post(reverse("notification-read", args=[n.pk]), {"next": "https://evil.test/"})
    assert evil.url == reverse("notification-list")


def test_another_user_cannot_see_open_or_mark_my_notifications(client, cast):
    (mine,) = notify(cast.rep_police, cast.table)
    client.force_login(cast.rep_housing)

    assert client.get(reverse("notification-open", args=[mine.pk])).status_code == 404
    assert client.post(reverse("notification-read", args=[mine.pk])).status_code == 404
    client.post(reverse("notification-read-all"))
    listing = client.get(reverse("notification-list"))

    assert mine.pk not in [n.pk for n in listing.context["notifications"]]
    assert Notification.objects.get(pk=mine.pk).read_at is None


def test_member_of_another_table_gets_404_too(client, cast):
    (mine,) = notify(cast.rep_police, cast.table)
    client.force_login(cast.outsider)
    assert client.get(reverse("notification-open", args=[mine.pk])).status_code == 404


def test_mark_all_read_marks_only_mine(client, cast):
    notify(cast.rep_police, cast.table, 3)
    notify(cast.rep_housing, cast.table, 2, start=10)
    client.force_login(cast.rep_police)
    response = client.post(reverse("notification-read-all"))
    assert response.status_code == 302
    unread = Notification.objects.filter(read_at__isnull=True)
    assert set(unread.values_list("recipient__username", flat=True)) == {"t-rep-housing"}
    assert unread.count() == 2


def test_list_is_paginated(client, cast):
    notify(cast.rep_police, cast.table, 25)
    client.force_login(cast.rep_police)
    first = client.get(reverse("notification-list"))
    second = client.get(reverse("notification-list") + "?page=2")
    assert len(first.context["notifications"]) == 20
    assert len(second.context["notifications"]) == 5
    assert "Page 2 of 2" in second.content.decode()


def test_list_query_count_is_constant(client, cast):
    client.force_login(cast.rep_police)
    notify(cast.rep_police, cast.table, 2)
    small = count_queries(client, reverse("notification-list"))
    notify(cast.rep_police, cast.other_table, 40, start=100)
    notify(cast.rep_police, cast.table, 5, kind=Kind.TASK_OVERDUE, start=200)
    assert count_queries(client, reverse("notification-list")) == small
    assert count_queries(client, reverse("notification-list") + "?page=3") == small


def test_digest_opt_out_is_saved_and_can_be_undone(client, cast):
    client.force_login(cast.rep_police)
    url = reverse("notification-preferences")

    response = client.post(url, {"language": "fr"})  # checkbox unticked: no digest
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=cast.rep_police)
    assert preference.digest_opt_out is True
    assert preference.language == "fr"

    client.post(url, {"weekly_digest": "on", "language": ""})
    preference.refresh_from_db()
    assert preference.digest_opt_out is False
    page = client.get(reverse("notification-list"))
    assert page.context["form"]["weekly_digest"].value() is True
    assert 'id="id_weekly_digest" checked' in page.content.decode()


def test_preferences_with_an_unknown_language_are_refused_without_saving(client, cast):
    client.force_login(cast.rep_police)
    response = client.post(
        reverse("notification-preferences"), {"weekly_digest": "on", "language": "xx"}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not NotificationPreference.objects.filter(user=cast.rep_police).exists()


def test_preferences_of_one_user_do_not_touch_another(client, cast):
    NotificationPreference.objects.create(user=cast.rep_housing, digest_opt_out=False)
    client.force_login(cast.rep_police)
    client.post(reverse("notification-preferences"), {"language": ""})
    assert NotificationPreference.objects.get(user=cast.rep_housing).digest_opt_out is False


def test_operators_can_search_the_outbox_in_the_admin(client, cast, django_user_model):
    notify(cast.rep_police, cast.table, 2)
    Notification.objects.filter(recipient=cast.rep_police).update(data={"number": "NTT-2026-0042"})
    admin = django_user_model.objects.create_superuser("t-operator", "op@example.invalid", "x")
    client.force_login(admin)
    url = reverse("admin:notifications_notification_changelist")
    assert client.get(url, {"q": "NTT-2026-0042"}).status_code == 200
    assert client.get(url, {"sent_at__isempty": "1"}).status_code == 200
    change = reverse(
        "admin:notifications_notification_change", args=[Notification.objects.first().pk]
    )
    assert client.get(change).status_code == 200  # read-only view
