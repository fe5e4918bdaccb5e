"""The console's entry: which organisations the signed-in member may act for, and each one's start."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from ..console import member_required, memberships_of, pages_for
from ..models import Organisation


def console(request: HttpRequest) -> HttpResponse:
    """The member's organisations; with only one, straight to its console."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('portal:login')}?next={request.path}")
    memberships = list(memberships_of(request.user))
    if not memberships:
        raise PermissionDenied("Only members of an organisation have a console.")
    if len(memberships) == 1:
        return redirect("portal:console-home", org=memberships[0].organisation.slug)
    return render(request, "portal/console_choose.html", {"memberships": memberships})


@member_required(*Organisation.Kind.values)
def console_home(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """An organisation's console: its first page, or a page that says what is there."""
    pages = pages_for(organisation.kind)
    if pages:
        return redirect(pages[0].url_name, org=organisation.slug)
    return render(request, "portal/console_home.html", {"organisation": organisation})
