import base64
import json

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Validator(OAuth2Validator):
    """Adds the user's e-mail and national register number, each under its scope (as FAS does).

    Some test users make the provider misbehave, so that the relying party's checks are tried
    through the real flow: ``"misbehave": "tamper"`` changes the national register number in the
    ID token after it was signed (``"tampered_nrn"``); ``"misbehave": "audience"`` signs an ID
    token for another client. ``"acr"`` is the level of assurance the ID token names (as FAS
    names the means the citizen used); without it the ID token has no ``acr``.
    """

    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "egovNRN": "egovnrn"}

    def _person(self, request) -> dict:
        return settings.OP_USERS.get(request.user.username, {})

    def get_additional_claims(self, request):
        person = self._person(request)
        claims = {}
        if person.get("email"):
            claims["email"] = person["email"]
        if person.get("egovNRN"):
            claims["egovNRN"] = person["egovNRN"]
        return claims

    def finalize_id_token(self, id_token, token, token_handler, request):
        person = self._person(request)
        if person.get("misbehave") == "audience":
            id_token["aud"] = "some-other-relying-party"
        if person.get("acr"):
            id_token["acr"] = person["acr"]
        signed = super().finalize_id_token(id_token, token, token_handler, request)
        if person.get("misbehave") == "tamper":
            header, payload, signature = signed.split(".")
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            claims["egovNRN"] = person["tampered_nrn"]
            signed = ".".join([header, _b64(json.dumps(claims).encode()), signature])
        return signed
