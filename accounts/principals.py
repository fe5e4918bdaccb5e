"""Who is acting: a citizen (a User) or an organisation (through its API token).

DRF wants ``request.user`` to be authenticated; an organisation's token authenticates as an
OrganisationPrincipal, which is not a database user and can never log into the admin. An OAuth
access token authenticates as a ScopedOrganisationPrincipal: the organisation, within scopes.
"""

from dataclasses import dataclass, field
from typing import Any

from rest_framework.exceptions import PermissionDenied

from .models import Organisation, User


@dataclass(frozen=True, eq=False)
class OrganisationPrincipal:
    organisation: Organisation

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    @property
    def pk(self) -> str:
        # DRF's user throttle keys on pk; keep organisations apart from users.
        return f"org:{self.organisation.pk}"

    @property
    def id(self) -> str:
        return self.pk

    def get_username(self) -> str:
        return self.organisation.slug

    def __str__(self) -> str:
        return self.organisation.name


def organisation_of(principal: object) -> Organisation | None:
    if isinstance(principal, OrganisationPrincipal):
        return principal.organisation
    return None


def citizen_of(principal: object) -> User | None:
    if isinstance(principal, User) and principal.is_active and principal.is_citizen:
        return principal
    return None


def acting_citizen(request: Any) -> User:
    """The citizen a request acts for. Views call it behind IsCitizen, so None is a wiring bug."""
    citizen = citizen_of(request.user)
    if citizen is None:
        raise PermissionDenied("Only a citizen (a pod owner) may do this.")
    return citizen


def acting_organisation(request: Any) -> Organisation:
    """The organisation a request acts for (behind IsIssuer / IsRequester)."""
    organisation = organisation_of(request.user)
    if organisation is None:
        raise PermissionDenied("Only an organisation may do this.")
    return organisation


@dataclass(frozen=True, eq=False)
class ScopedOrganisationPrincipal(OrganisationPrincipal):
    """An organisation acting through an OAuth access token: only within ``scopes``."""

    scopes: frozenset[str] = field(default_factory=frozenset)


def granted_scopes(principal: object) -> frozenset[str] | None:
    """The scopes a principal is limited to, or None when it is not limited (API tokens, sessions)."""
    if isinstance(principal, ScopedOrganisationPrincipal):
        return principal.scopes
    return None
