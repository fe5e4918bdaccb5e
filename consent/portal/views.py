"""The citizen's portal pages for consent: requests to decide, grants to revoke."""

import json
from collections.abc import Callable, Mapping

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import citizen_required
from accounts.principals import acting_citizen
from consent import receipts, selectors, services
from consent.errors import EvidenceNotFound, GrantNotFound, RequestNotFound
from consent.models import AccessRequest
from core.refusals import Words
from vault.evidence import evidence_document
from vc.errors import VcError

from .forms import ApproveForm, DenyForm, ReadLimitForm
from .refusals import (
    APPROVE_REFUSALS,
    DENY_REFUSALS,
    READ_LIMIT_REFUSALS,
    REVOKE_REFUSALS,
    in_words,
)


def _requests_page(
    request: HttpRequest, *, failed: tuple[AccessRequest, ApproveForm] | None = None, status=200
):
    """The requests page; ``failed`` is an approval that was refused, shown again with its
    errors beside the request it belongs to (the citizen stays where they were)."""
    citizen = acting_citizen(request)
    pending = [
        (item, failed[1] if failed and failed[0].pk == item.pk else ApproveForm(access_request=item))
        for item in selectors.requests_to_citizen(citizen, status=AccessRequest.Status.PENDING)
    ]
    if failed and all(item.pk != failed[0].pk for item, _form in pending):  # e.g. it expired meanwhile
        for errors in failed[1].errors.values():
            for error in errors:
                messages.error(request, str(error))
    decided = list(
        selectors.requests_to_citizen(citizen).exclude(pk__in=[item.pk for item, _form in pending])[:50]
    )
    kept = selectors.evidence_by_request([item.pk for item, _form in pending] + [item.pk for item in decided])
    for item in [item for item, _form in pending] + decided:
        item.kept_evidence = kept.get(item.pk)  # type: ignore[attr-defined]
    return render(request, "consent/requests.html", {"pending": pending, "decided": decided}, status=status)


@citizen_required
def requests(request: HttpRequest) -> HttpResponse:
    return _requests_page(request)


@citizen_required
def request_link(request: HttpRequest, request_id) -> HttpResponse:
    """The link an organisation hands to the candidate (its QR code too): the request in the
    path, not in a fragment, so it survives the sign-in's ``next`` (a browser never sends a
    fragment, and a login form posts without it); once signed in, the requests page at it."""
    access_request = _own_request(request, request_id)
    return redirect(reverse("portal:requests") + f"#request-{access_request.pk}")


def _own_request(request: HttpRequest, request_id) -> AccessRequest:
    """Any of the citizen's requests: the service, not the lookup, says why a decision is refused."""
    access_request = selectors.requests_to_citizen(acting_citizen(request)).filter(pk=request_id).first()
    if access_request is None:
        raise Http404("You have no request with that id.")
    return access_request


def _decide(
    request: HttpRequest, act: Callable[[], object], done: str, then: str, refusals: Mapping[str, Words]
) -> HttpResponse:
    """Run a consent service for the portal: 404 for what is not the citizen's, the service's
    refusal in words (``refusals``, by its code) as a message, the success message otherwise."""
    try:
        act()
    except (RequestNotFound, GrantNotFound) as exc:
        raise Http404(exc.detail) from exc
    except VcError as exc:
        messages.error(request, in_words(exc, refusals))
        return redirect(then)
    messages.success(request, done)
    return redirect(then)


@require_POST
@citizen_required
def approve(request: HttpRequest, request_id) -> HttpResponse:
    """Approve as asked or narrowed; a refusal (a bad date, no type, a request that expired
    meanwhile) shows the requests page again with the reason next to the form, status 400."""
    access_request = _own_request(request, request_id)
    form = ApproveForm(request.POST, access_request=access_request)
    if not form.is_valid():
        return _requests_page(request, failed=(access_request, form), status=400)
    try:
        services.approve_request(
            citizen=acting_citizen(request),
            request_id=access_request.pk,
            credential_types=form.cleaned_data["credential_types"],
            claims=form.approved_claims(),
            document_types=form.cleaned_data["document_types"],
            valid_until=form.valid_until_datetime(),
            max_reads=form.cleaned_data.get("max_reads"),
        )
    except RequestNotFound as exc:
        raise Http404(exc.detail) from exc
    except VcError as exc:
        form.add_error(None, in_words(exc, APPROVE_REFUSALS))
        return _requests_page(request, failed=(access_request, form), status=400)
    messages.success(
        request, _("Approved: %(org)s may now read what you chose.") % {"org": access_request.requester}
    )
    return redirect("portal:grants")


@require_http_methods(["GET", "POST"])
@citizen_required
def deny(request: HttpRequest, request_id) -> HttpResponse:
    """GET: a page that says what denying does and asks for a reason; POST: deny."""
    access_request = _own_request(request, request_id)
    if request.method == "GET":
        return render(request, "consent/deny.html", {"item": access_request, "form": DenyForm()})
    form = DenyForm(request.POST)
    if not form.is_valid():
        return render(request, "consent/deny.html", {"item": access_request, "form": form}, status=400)
    return _decide(
        request,
        lambda: services.deny_request(
            citizen=acting_citizen(request), request_id=access_request.pk, reason=form.cleaned_data["reason"]
        ),
        _("Denied: %(org)s gets nothing.") % {"org": access_request.requester},
        "portal:requests",
        DENY_REFUSALS,
    )


@citizen_required
def grants(request: HttpRequest) -> HttpResponse:
    return render(
        request, "consent/grants.html", {"grants": selectors.grants_of_citizen(acting_citizen(request))}
    )


@require_http_methods(["GET", "POST"])
@citizen_required
def revoke(request: HttpRequest, grant_id) -> HttpResponse:
    """GET: a page that says what revoking does; POST: revoke."""
    grant = selectors.grants_of_citizen(acting_citizen(request)).filter(pk=grant_id).first()
    if grant is None:
        raise Http404("You have no grant with that id.")
    if request.method == "GET":
        return render(request, "consent/revoke.html", {"grant": grant})
    return _decide(
        request,
        lambda: services.revoke_grant(citizen=acting_citizen(request), grant_id=grant.pk),
        _("Revoked: %(org)s can no longer read it.") % {"org": grant.grantee},
        "portal:grants",
        REVOKE_REFUSALS,
    )


@require_POST
@citizen_required
def read_limit(request: HttpRequest, grant_id) -> HttpResponse:
    grant = selectors.grants_of_citizen(acting_citizen(request)).filter(pk=grant_id).first()
    if grant is None:
        raise Http404("You have no grant with that id.")
    form = ReadLimitForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return redirect("portal:grants")
    return _decide(
        request,
        lambda: services.lower_read_limit(
            citizen=acting_citizen(request), grant_id=grant.pk, max_reads=form.cleaned_data["max_reads"]
        ),
        ngettext(
            "Limit lowered: %(org)s may read once in all.",
            "Limit lowered: %(org)s may read %(count)s times in all.",
            form.cleaned_data["max_reads"],
        )
        % {"org": grant.grantee, "count": form.cleaned_data["max_reads"]},
        "portal:grants",
        READ_LIMIT_REFUSALS,
    )


@citizen_required
def grant_credential(request: HttpRequest, grant_id) -> HttpResponse:
    """The access-grant credential the grantee holds for one of the citizen's grants, to keep or
    check: the same signed JSON (whether it still holds is in the service's status list)."""
    grant = selectors.grants_of_citizen(acting_citizen(request)).filter(pk=grant_id).first()
    held = getattr(grant, "credential", None) if grant is not None else None
    if grant is None or held is None:
        raise Http404("You have no grant with that id, or it has no access-grant credential.")
    response = JsonResponse(
        held.document, content_type="application/vc+ld+json", json_dumps_params={"indent": 2}
    )
    response["Content-Disposition"] = f'attachment; filename="access-grant-{grant.pk}.json"'
    return response


def _attachment(document: dict, filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False).encode(), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@citizen_required
def request_evidence(request: HttpRequest, request_id) -> HttpResponse:
    """The signed request, as its requester sent it, to keep and verify offline."""
    try:
        kept = selectors.evidence_of_citizen_request(acting_citizen(request), request_id)
    except EvidenceNotFound as exc:
        raise Http404(exc.detail) from exc
    return _attachment(evidence_document(kept), f"signed-request-{kept.request_id}.json")


@citizen_required
def consent_records(request: HttpRequest) -> HttpResponse:
    """Every consent record with its history, in the fields of ISO/IEC TS 27560."""
    return _attachment(receipts.consent_records(acting_citizen(request)), "consent-records-iso-27560.json")
