"""``WWW-Authenticate`` challenges: Basic for the token endpoint, Bearer for the API.

Auth-param values are quoted strings, so what goes into them is restricted to the characters
RFC 6749 §5.2 and RFC 6750 §3 allow in ``error_description`` and ``scope`` (no ``"`` or ``\\``).
"""

from collections.abc import Sequence

REALM = "citizen-vault"


def basic_challenge() -> str:
    """The challenge after a failed client authentication at the token endpoint (RFC 7617)."""
    return f'Basic realm="{REALM}", charset="UTF-8"'


def bearer_challenge(error: str = "", scopes: Sequence[str] = ()) -> str:
    """An RFC 6750 §3 Bearer challenge.

    ``error`` is empty when no token was presented (§3.1: then no error code), else
    ``invalid_token`` (presented and refused: 401) or ``insufficient_scope`` (403, naming the
    ``scopes`` the resource needs). ``scopes`` must be scope tokens from our vocabulary.
    """
    challenge = f'Bearer realm="{REALM}"'
    if error:
        challenge += f', error="{error}"'
    if scopes:
        challenge += f', scope="{" ".join(scopes)}"'
    return challenge
