"""Who may do what: DRF permission classes for the API, and decorators for the portal."""

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, ClassVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from .challenges import bearer_challenge
from .console import is_member
from .models import Organisation
from .principals import citizen_of, granted_scopes, organisation_of
from .scopes import SCOPES


class IsCitizen(BasePermission):
    message = "Only a citizen (a pod owner) may do this."

    def has_permission(self, request, view) -> bool:
        return citizen_of(request.user) is not None


class _IsOrganisationOfKind(BasePermission):
    kinds: tuple[str, ...] = ()

    def has_permission(self, request, view) -> bool:
        organisation = organisation_of(request.user)
        return organisation is not None and organisation.kind in self.kinds


class IsIssuer(_IsOrganisationOfKind):
    message = "Only an issuing organisation may do this."
    kinds = (Organisation.Kind.ISSUER,)


class IsRequester(_IsOrganisationOfKind):
    message = "Only an employer or an agency may do this."
    kinds = (Organisation.Kind.EMPLOYER, Organisation.Kind.AGENCY)


def citizen_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Portal views: log in first; then only citizens (pod owners) get through."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if citizen_of(request.user) is None:
            # A member of an organisation who opens the portal (after signing in, say) is shown
            # their console; anything but a page view stays refused.
            if (
                request.method == "GET"
                and request.resolver_match
                and request.resolver_match.url_name == "home"
            ) and is_member(request.user):
                return redirect("portal:console")
            raise DjangoPermissionDenied("Only citizens have a pod to show here.")
        return view(request, *args, **kwargs)

    return login_required(wrapper)


class InsufficientScope(exceptions.PermissionDenied):
    """403 with RFC 6750 §3.1 ``WWW-Authenticate: Bearer error="insufficient_scope"``."""

    def __init__(self, detail: str, scopes: Sequence[str] = ()) -> None:
        super().__init__(detail)
        self.auth_header = bearer_challenge("insufficient_scope", scopes)


class HasScope(BasePermission):
    """Lets an OAuth access token through only if it carries every scope the view needs.

    Use ``HasScope.of(ISSUE_CREDENTIALS)`` in a view's ``permission_classes``; plain ``HasScope``
    accepts any access token. API tokens and sessions have no scopes and keep the full rights of
    their holder. Views without a HasScope refuse OAuth access tokens altogether (deny by default:
    see ``ApiTokenAuthentication``).
    """

    scopes: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def of(cls, *scopes: str) -> type["HasScope"]:
        """A HasScope that requires all of these scopes (each must be in SCOPES)."""
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown:
            raise ValueError(f"Unknown scope(s): {', '.join(unknown)}")
        return type(f"HasScope[{' '.join(scopes)}]", (cls,), {"scopes": tuple(scopes)})

    def has_permission(self, request, view) -> bool:
        granted = granted_scopes(request.user)
        if granted is None:
            return True
        missing = [s for s in self.scopes if s not in granted]
        if missing:
            raise InsufficientScope(
                f"This access token lacks the scope(s) {', '.join(missing)} "
                f"(it has: {', '.join(sorted(granted)) or 'none'}).",
                self.scopes,
            )
        return True


def view_scopes(view: Any) -> tuple[str, ...] | None:
    """The scopes a view requires of access tokens, or None when it does not accept them."""
    if view is None:
        return None
    checks = [p for p in view.get_permissions() if isinstance(p, HasScope)]
    if not checks:
        return None
    return tuple(dict.fromkeys(s for check in checks for s in check.scopes))
