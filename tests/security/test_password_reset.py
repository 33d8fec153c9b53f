"""Issue 15, part 5: "forgot your password" in the product's own pages, the same answer whatever
the address, limited per address and per client address, the reset audited."""

import re

from django.core import mail
from django.urls import reverse
from knox.models import AuthToken

from agencies.api.tokens import create_token
from core.models import AuditEvent
from tests.conftest import PASSWORD


def ask(client, email, ip="192.0.2.50"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)


def test_the_pages_are_the_products_own_and_bilingual(client, db, settings):
    page = client.get(reverse("password_reset"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Forgot your password?" in body and "Django administration" not in body
    assert "Forgot your password?" in client.get(reverse("login")).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert "Mot de passe oublié?" in client.get(reverse("password_reset")).content.decode()


def test_same_answer_whatever_the_address(client, cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = ask(client, cast.rep_police.email)
        unknown = ask(client, "nobody-here@example.invalid")
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == reverse("password_reset_done")
    assert [m.to for m in mail.outbox] == [[cast.rep_police.email]]


def test_sixteen_requests_for_one_address_send_three_emails(
    client, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answers = {
            ask(client, cast.rep_police.email.upper(), ip=f"192.0.2.{i}").status_code
            for i in range(16)
        }
    assert answers == {302}
    assert len(mail.outbox) == 3


def test_one_client_address_is_limited_with_a_clear_429(client, cast):
    statuses = [ask(client, f"p{i}@example.invalid").status_code for i in range(11)]
    assert statuses == [302] * 10 + [429]
    assert b"Too many requests from your network" in ask(client, "x@example.invalid").content


def test_bad_input_is_a_form_error(client, db):
    response = client.post(reverse("password_reset"), {"email": "not an email"})
    assert response.status_code == 400
    assert response.context["form"].errors["email"]


def test_the_reset_works_once_is_audited_and_revokes_api_tokens(
    client, cast, django_capture_on_commit_callbacks
):
    create_token(user=cast.rep_police, scope="write")
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, cast.rep_police.email)
    link = re.search(r"https?://\S+/accounts/reset/\S+/", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    opened = client.get("/" + path)
    assert opened.status_code == 302  # Django moves the token out of the address bar
    new = "a-fresh-long-passphrase-77"
    done = client.post(opened.url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    cast.rep_police.refresh_from_db()
    assert cast.rep_police.check_password(new) and not cast.rep_police.check_password(PASSWORD)
    assert AuditEvent.objects.filter(
        event="account.password_reset", actor_id=cast.rep_police.pk
    ).exists()
    assert AuditEvent.objects.filter(event="account.password_reset_sent", data__via="self").exists()
    assert not AuthToken.objects.filter(user=cast.rep_police).exists()
    # The link works once.
    again = client.get("/" + path, follow=True)
    assert "This link is not valid" in again.content.decode()
