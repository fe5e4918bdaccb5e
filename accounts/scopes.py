"""The OAuth scope vocabulary: what an access token may be limited to, and who may hold what.

Scope names are RFC 6749 §3.3 scope tokens. Views require them with
``accounts.permissions.HasScope.of(...)``; clients are registered with a subset fitting their
organisation's kind (``clean_client_scopes``).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.errors import Invalid

from .models import Organisation

ISSUE_CREDENTIALS = "issue:credentials"
UPDATE_CREDENTIAL_STATUS = "update:credential-status"
READ_GRANTS = "read:grants"

_ISSUER = (Organisation.Kind.ISSUER,)
_REQUESTER = (Organisation.Kind.EMPLOYER, Organisation.Kind.AGENCY)


@dataclass(frozen=True)
class Scope:
    name: str
    description: str  # in English, for the API's documents (the OpenAPI schema, the OAuth server)
    label: Promise  # in the operator's language, for the admin
    kinds: tuple[str, ...]  # the kinds of organisation a client with this scope may belong to


SCOPES: dict[str, Scope] = {
    scope.name: scope
    for scope in (
        Scope(
            ISSUE_CREDENTIALS,
            "Sign credentials: POST /credentials/issue",
            _("Sign credentials: POST /credentials/issue"),
            _ISSUER,
        ),
        Scope(
            UPDATE_CREDENTIAL_STATUS,
            "Revoke, suspend or reinstate issued credentials: POST /credentials/status",
            _("Revoke, suspend or reinstate issued credentials: POST /credentials/status"),
            _ISSUER,
        ),
        Scope(
            READ_GRANTS,
            "Read credentials under a citizen's grant",
            _("Read credentials under a citizen's grant"),
            _REQUESTER,
        ),
    )
}


class InvalidClientScope(Invalid):
    code = "invalid-oauth-client-scope"
    title = "The OAuth client's scopes are not valid"


def scopes_for_kind(kind: str) -> list[str]:
    """The scopes a client of an organisation of this kind may hold, in vocabulary order."""
    return [name for name, scope in SCOPES.items() if kind in scope.kinds]


def clean_client_scopes(organisation: Organisation, scopes: Iterable[str]) -> list[str]:
    """The distinct scopes asked for, checked; raises InvalidClientScope naming what is wrong."""
    wanted = list(dict.fromkeys(s.strip() for s in scopes if s.strip()))
    if not wanted:
        raise InvalidClientScope("A client needs at least one scope.", allowed=list(SCOPES))
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise InvalidClientScope(
            f"Unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}.", allowed=list(SCOPES)
        )
    unfit = [s for s in wanted if organisation.kind not in SCOPES[s].kinds]
    if unfit:
        raise InvalidClientScope(
            f"Scope(s) {', '.join(unfit)} do not fit a {organisation.get_kind_display().lower()} "
            f"organisation; it may hold: {', '.join(scopes_for_kind(organisation.kind)) or 'none'}.",
            allowed=scopes_for_kind(organisation.kind),
        )
    return wanted
