"""The citizen's inbox: what happened, newest first; mark one or all as read."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import citizen_required
from inbox import selectors, services
from inbox.errors import NotificationNotFound
from inbox.kinds import page_of, text_of

INBOX_PAGE_SIZE = 100


@citizen_required
def inbox(request: HttpRequest) -> HttpResponse:
    items = [
        (notification, text_of(notification), page_of(notification))
        for notification in selectors.inbox_of(request.user)[:INBOX_PAGE_SIZE]
    ]
    return render(
        request,
        "inbox/inbox.html",
        {"items": items, "unread": sum(1 for item, _text, _page in items if item.read_at is None)},
    )


@require_POST
@citizen_required
def mark_read(request: HttpRequest, notification_id) -> HttpResponse:
    try:
        services.mark_read(recipient=request.user, notification_id=notification_id)
    except NotificationNotFound as exc:
        raise Http404(exc.detail) from exc
    return redirect("portal:inbox")


@require_POST
@citizen_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(recipient=request.user)
    if count:
        messages.success(request, _("All marked as read."))
    return redirect("portal:inbox")
