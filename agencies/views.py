from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .permissions import Capability, active_memberships, table_view


@login_required
def home(request):
    memberships = list(active_memberships(request.user).order_by("table__name"))
    return render(request, "agencies/home.html", {"memberships": memberships})


@table_view(Capability.VIEW_TABLE)
def table_detail(request, access):
    members = (
        access.table.memberships.filter(is_active=True)
        .select_related("user", "agency", "agency__sector")
        .order_by("agency__name", "role")
    )
    agencies = access.table.agencies.select_related("sector").order_by("name")
    return render(
        request,
        "agencies/table_detail.html",
        {"access": access, "table": access.table, "members": members, "agencies": agencies},
    )
