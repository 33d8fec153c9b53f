"""The Notifications page: the user's own notifications, read marks, and the digest opt-out.

Every view is login-only and reads through ``selectors`` scoped to ``request.user``; another
person's notification answers 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.http import safe_next_url

from . import selectors, services
from .forms import PreferencesForm

PAGE_SIZE = 20


@login_required
@require_GET
def notification_list(request):
    page = Paginator(selectors.notification_list(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    preference = selectors.preference_for(request.user)
    context = {
        "page": page,
        "notifications": page.object_list,
        "form": PreferencesForm.for_preference(preference),
        "preference": preference,
    }
    return render(request, "notifications/notification_list.html", context)


@login_required
@require_GET
def notification_open(request, notification_id):
    """Follow a notification to the page it is about; following it marks it read."""
    notification = selectors.get_notification(request.user, notification_id)
    services.mark_read(actor=request.user, notification=notification)
    return redirect(notification.target_url)


def _back(request):
    return redirect(safe_next_url(request, reverse("notification-list")))


@login_required
@require_POST
def notification_read(request, notification_id):
    notification = selectors.get_notification(request.user, notification_id)
    services.mark_read(actor=request.user, notification=notification)
    return _back(request)


@login_required
@require_POST
def notification_read_all(request):
    count = services.mark_all_read(actor=request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return _back(request)


@login_required
@require_POST
def notification_preferences(request):
    preference = selectors.preference_for(request.user)
    form = PreferencesForm.for_preference(preference, data=request.POST)
    if form.is_valid():
        services.set_preferences(
            actor=request.user,
            digest_opt_out=not form.cleaned_data["weekly_digest"],
            language=form.cleaned_data["language"],
        )
        messages.success(request, _("Your email preferences are saved."))
        return redirect("notification-list")
    page = Paginator(selectors.notification_list(request.user), PAGE_SIZE).get_page(1)
    context = {"page": page, "notifications": page.object_list, "form": form}
    return render(request, "notifications/notification_list.html", context, status=400)
