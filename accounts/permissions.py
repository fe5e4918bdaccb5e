from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import BasePermission

from .models import Organisation
from .principals import citizen_of, organisation_of


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
            raise DjangoPermissionDenied("Only citizens have a pod to show here.")
        return view(request, *args, **kwargs)

    return login_required(wrapper)
