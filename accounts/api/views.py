from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import QueryDict
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from ..permissions import HasScope
from ..principals import citizen_of, organisation_of
from ..throttling import client_address
from . import oauth
from .oauth import FORM, OAuthError
from .serializers import (
    AuthorizationServerMetadataSerializer,
    OAuthErrorSerializer,
    RevocationRequestSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    WhoAmISerializer,
)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class WhoAmIView(APIView):
    """Who the presented credentials authenticate as: a quick way to check a token."""

    permission_classes = [IsAuthenticated, HasScope]  # any OAuth access token may ask

    @extend_schema(responses=WhoAmISerializer, tags=["accounts"])
    def get(self, request):
        organisation = organisation_of(request.user)
        if organisation is not None:
            data = {
                "kind": "organisation",
                "id": str(organisation.pk),
                "name": organisation.name,
                "organisationKind": organisation.kind,
            }
        else:
            data = {
                "kind": "citizen" if citizen_of(request.user) else "user",
                "id": str(request.user.pk),
                "name": request.user.get_username(),
            }
        return Response(WhoAmISerializer(data).data)


def _oauth_form(request) -> dict[str, list[str]]:
    """The request's form parameters, each name with all its values (to spot repeats)."""
    if request.content_type.split(";")[0].strip().lower() != FORM:
        raise OAuthError("invalid_request", f"The body must be {FORM} (RFC 6749 section 4.4.2).")
    try:
        form = QueryDict(request.body, encoding="utf-8")
    except (RequestDataTooBig, TooManyFieldsSent) as exc:
        raise OAuthError("invalid_request", "The body is too large or has too many fields.") from exc
    return {name: form.getlist(name) for name in form}


def _oauth_error(exc: OAuthError) -> Response:
    return Response(exc.as_dict(), status=exc.status, headers={**NO_STORE, **exc.headers})


_ERROR = OpenApiResponse(OAuthErrorSerializer, description="RFC 6749 section 5.2 error, as OAuth JSON")


class OAuthEndpoint(APIView):
    """An endpoint of the authorization server, where the client authenticates itself (§2.3).

    Every error, DRF's own included, is OAuth JSON (RFC 6749 §5.2) rather than problem+json,
    because OAuth clients parse ``error``.
    """

    authentication_classes: list = []  # the client authenticates itself, in the service
    permission_classes = [AllowAny]
    parser_classes = [FormParser]  # documents the media type; the view reads the body itself
    renderer_classes = [JSONRenderer]

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.APIException):
            return _oauth_error(oauth.error_for_api_exception(exc))
        return super().handle_exception(exc)


class TokenView(OAuthEndpoint):
    """``POST /oauth2/token``: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4)."""

    @extend_schema(
        operation_id="oauth2_token",
        summary="Get an access token (client credentials)",
        description=(
            "Authenticate with HTTP Basic (`client_id:client_secret`, each form-urlencoded) or with "
            "`client_id` and `client_secret` in the body. Unknown parameters are ignored. A client "
            "holds at most `OAUTH_MAX_LIVE_TOKENS_PER_CLIENT` live tokens: a new one ends the oldest."
        ),
        request={FORM: TokenRequestSerializer},
        responses={
            200: TokenResponseSerializer,
            400: _ERROR,
            401: _ERROR,
            405: _ERROR,
            429: _ERROR,
        },
        tags=["oauth2"],
    )
    def post(self, request):
        try:
            body = oauth.exchange_client_credentials(
                form=_oauth_form(request),
                authorization=request.META.get("HTTP_AUTHORIZATION", ""),
                address=client_address(request),
            )
        except OAuthError as exc:
            return _oauth_error(exc)
        return Response(body, headers=NO_STORE)


class RevocationView(OAuthEndpoint):
    """``POST /oauth2/revoke``: token revocation (RFC 7009) for the client's own access tokens."""

    @extend_schema(
        operation_id="oauth2_revoke",
        summary="Revoke an access token",
        description=(
            "The client authenticates as at the token endpoint and names one of its access tokens "
            "in `token`; the token stops working at once. An unknown or expired token is a success "
            "too (RFC 7009 section 2.2). `token_type_hint` is ignored."
        ),
        request={FORM: RevocationRequestSerializer},
        responses={
            200: OpenApiResponse(description="Revoked, or nothing left to revoke (empty body)"),
            400: _ERROR,
            401: _ERROR,
            405: _ERROR,
            429: _ERROR,
        },
        tags=["oauth2"],
    )
    def post(self, request):
        try:
            oauth.revoke_token(
                form=_oauth_form(request),
                authorization=request.META.get("HTTP_AUTHORIZATION", ""),
                address=client_address(request),
            )
        except OAuthError as exc:
            return _oauth_error(exc)
        return Response(status=200, headers=NO_STORE)


class AuthorizationServerMetadataView(APIView):
    """``GET /.well-known/oauth-authorization-server``: RFC 8414 metadata."""

    authentication_classes: list = []
    permission_classes = [AllowAny]  # public by definition
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="oauth2_metadata",
        responses=AuthorizationServerMetadataSerializer,
        tags=["oauth2"],
    )
    def get(self, request):
        metadata = oauth.authorization_server_metadata()
        return Response(metadata, headers={"Cache-Control": "public, max-age=3600"})
