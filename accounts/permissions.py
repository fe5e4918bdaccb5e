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
