"""Session bookkeeping on sign-in, and API-token revocation when an account or a seat changes
(connected in ``AgenciesConfig.ready``)."""

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .models import Membership

LAST_ACTIVITY_KEY = "last_activity"


@receiver(user_logged_in)
def start_idle_clock(sender, request, user, **kwargs):
    """The idle timeout counts from sign-in, so the first page does not need a session write."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_ACTIVITY_KEY] = int(time.time())


# --- API tokens end when what they were trusted for changes -------------------------------------
# Receivers, not service calls, because passwords, accounts and seats change through several doors
# (the password pages, the reset link, the admin, invitations, a shell): whichever is used, the
# person's API tokens are revoked in the same transaction.


_REASON = "_token_revocation_reason"


def _revoke_after_save(instance, user_id):
    reason = getattr(instance, _REASON, None)
    if reason:
        from .api.tokens import revoke_all_tokens

        setattr(instance, _REASON, None)
        with transaction.atomic():
            revoke_all_tokens(user_id=user_id, reason=reason)


@receiver(pre_save, sender=get_user_model())
def note_password_or_deactivation(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. last_login at each sign-in: nothing that concerns tokens
    old = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if old is None:
        return
    if old["password"] != instance.password:
        setattr(instance, _REASON, "password_changed")
    elif old["is_active"] and not instance.is_active:
        setattr(instance, _REASON, "account_deactivated")


@receiver(post_save, sender=get_user_model())
def revoke_tokens_of_changed_account(sender, instance, raw=False, **kwargs):
    if not raw:
        _revoke_after_save(instance, instance.pk)


@receiver(pre_save, sender=Membership)
def note_role_change(sender, instance, raw=False, **kwargs):
    if raw:
        return
    if instance.pk is None:
        setattr(instance, _REASON, "seat_added")
        return
    old = sender.objects.filter(pk=instance.pk).values("role", "is_active", "agency_id").first()
    if old is None:
        return
    if (
        old["role"] != instance.role
        or old["agency_id"] != instance.agency_id
        or old["is_active"] != instance.is_active
    ):
        setattr(instance, _REASON, "role_changed")


@receiver(post_save, sender=Membership)
def revoke_tokens_after_role_change(sender, instance, raw=False, **kwargs):
    if not raw:
        _revoke_after_save(instance, instance.user_id)


@receiver(post_delete, sender=Membership)
def revoke_tokens_after_seat_removed(sender, instance, **kwargs):
    from .api.tokens import revoke_all_tokens

    revoke_all_tokens(user_id=instance.user_id, reason="seat_removed")
