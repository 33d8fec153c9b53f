"""An SMTP outage abandons nothing: a server that cannot be reached is not charged to the rows,
rows past the attempt cap are still retried (slowly), and abandoned rows are logged at ERROR,
counted in /healthz and listed for operators."""

import datetime
import logging
import smtplib

import pytest
from django.core import mail

from notifications import services, sweep
from notifications.models import Notification

from . import builders as b

NOW = b.local(2026, 5, 6, 12, 0)  # a Wednesday


@pytest.fixture
def frozen(time_machine, settings):
    settings.NOTIFICATION_DIGEST_WEEKDAY = 6
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def smtp_down(settings):
    """The real SMTP backend, pointed at a port where nothing listens."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 1
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2


def one_notification(cast):
    b.meeting(cast, NOW + datetime.timedelta(hours=3))
    services.sweep(enqueue=False)
    return Notification.objects.order_by("pk").first()


def test_an_unreachable_mail_server_is_not_charged_to_the_row(cast, frozen, smtp_down, settings):
    notification = one_notification(cast)
    for _ in range(settings.NOTIFICATION_MAX_ATTEMPTS + 2):
        with pytest.raises(services.MailServerUnavailable):
            services.deliver_notification(notification.pk)
    notification.refresh_from_db()
    assert notification.attempts == 0
    assert notification.claimed_at is None and notification.sent_at is None
    assert notification.last_error == "mail server unavailable"

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.deliver_notification(notification.pk) == "sent"
    assert len(mail.outbox) == 1


def test_rows_past_the_cap_are_retried_at_the_slow_cadence(cast, frozen, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_SLOW_RETRY_SECONDS = 3600
    notification = one_notification(cast)
    Notification.objects.filter(pk=notification.pk).update(
        attempts=3, enqueued_at=b.local(2026, 5, 6, 11, 30)
    )
    assert notification.pk not in sweep._mark_enqueued(NOW)  # 30 min ago: not yet
    frozen.move_to(NOW + datetime.timedelta(minutes=31), tick=False)
    later = NOW + datetime.timedelta(minutes=31)
    assert notification.pk in sweep._mark_enqueued(later)  # an hour on: tried again


def test_a_row_reaching_the_cap_is_logged_at_error_and_counted_in_healthz(
    cast, frozen, settings, caplog, client
):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    notification = one_notification(cast)
    settings.EMAIL_BACKEND = "tests.notifications.email_backends.AlwaysFailingBackend"
    assert client.get("/healthz").json()["notifications_abandoned"] == 0
    with caplog.at_level(logging.WARNING, logger="notifications.delivery"):
        for _ in range(2):
            with pytest.raises(smtplib.SMTPServerDisconnected):
                services.deliver_notification(notification.pk)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "abandoned" in errors[0].getMessage()
    assert str(notification.pk) in errors[0].getMessage()
    assert client.get("/healthz").json()["notifications_abandoned"] == 1
    assert list(services.abandoned_notifications().values_list("pk", flat=True)) == [
        notification.pk
    ]


def test_operators_can_list_abandoned_notifications_in_the_admin(
    cast, frozen, settings, admin_client
):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    notification = one_notification(cast)
    Notification.objects.filter(pk=notification.pk).update(attempts=2)
    response = admin_client.get("/admin/notifications/notification/?delivery=abandoned")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
