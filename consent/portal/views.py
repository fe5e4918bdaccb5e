"""The citizen's portal pages for consent: requests to decide, grants to revoke."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import citizen_required
from accounts.principals import acting_citizen
from consent import selectors, services
from consent.errors import GrantNotFound, RequestNotFound
from consent.models import AccessRequest
from core.errors import DomainError

from .forms import ApproveForm, DenyForm


@citizen_required
def requests(request: HttpRequest) -> HttpResponse:
    citizen = acting_citizen(request)
    pending = [
        (item, ApproveForm(access_request=item))
        for item in selectors.requests_to_citizen(citizen, status=AccessRequest.Status.PENDING)
    ]
    decided = selectors.requests_to_citizen(citizen).exclude(pk__in=[item.pk for item, _form in pending])[:50]
    return render(request, "consent/requests.html", {"pending": pending, "decided": decided})


def _own_pending(request: HttpRequest, request_id) -> AccessRequest:
    access_request = (
        selectors.requests_to_citizen(acting_citizen(request), status=AccessRequest.Status.PENDING)
        .filter(pk=request_id)
        .first()
    )
    if access_request is None:
        raise Http404("No pending request with that id.")
    return access_request


@require_POST
@citizen_required
def approve(request: HttpRequest, request_id) -> HttpResponse:
    access_request = _own_pending(request, request_id)
    form = ApproveForm(request.POST, access_request=access_request)
    if not form.is_valid():
        messages.error(request, _("Choose at least one credential type to share."))
        return redirect("portal:requests")
    try:
        services.approve_request(
            citizen=acting_citizen(request),
            request_id=access_request.pk,
            credential_types=form.cleaned_data["credential_types"],
            valid_until=form.valid_until_datetime(),
        )
    except RequestNotFound as exc:
        raise Http404(exc.detail) from exc
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect("portal:requests")
    messages.success(
        request, _("Approved: %(org)s may now read what you chose.") % {"org": access_request.requester}
    )
    return redirect("portal:grants")


@require_POST
@citizen_required
def deny(request: HttpRequest, request_id) -> HttpResponse:
    access_request = _own_pending(request, request_id)
    form = DenyForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.deny_request(citizen=acting_citizen(request), request_id=access_request.pk, reason=reason)
    except RequestNotFound as exc:
        raise Http404(exc.detail) from exc
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect("portal:requests")
    messages.success(request, _("Denied: %(org)s gets nothing.") % {"org": access_request.requester})
    return redirect("portal:requests")


@citizen_required
def grants(request: HttpRequest) -> HttpResponse:
    return render(
        request, "consent/grants.html", {"grants": selectors.grants_of_citizen(acting_citizen(request))}
    )


@require_POST
@citizen_required
def revoke(request: HttpRequest, grant_id) -> HttpResponse:
    try:
        grant = services.revoke_grant(citizen=acting_citizen(request), grant_id=grant_id)
    except GrantNotFound as exc:
        raise Http404(exc.detail) from exc
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect("portal:grants")
    messages.success(request, _("Revoked: %(org)s can no longer read it.") % {"org": grant.grantee})
    return redirect("portal:grants")
