from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import QueryDict
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import oauth
from ..oauth import HasScope, OAuthError
from ..portal.forms import client_address
from ..principals import citizen_of, organisation_of
from .serializers import (
    AuthorizationServerMetadataSerializer,
    OAuthErrorSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    WhoAmISerializer,
)

FORM = "application/x-www-form-urlencoded"
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


def _token_form(request) -> dict[str, list[str]]:
    """The token request's form parameters, each name with all its values (to spot repeats)."""
    if request.content_type.split(";")[0].strip().lower() != FORM:
        raise OAuthError("invalid_request", f"The body must be {FORM} (RFC 6749 §4.4.2).")
    try:
        form = QueryDict(request.body, encoding="utf-8")
    except (RequestDataTooBig, TooManyFieldsSent) as exc:
        raise OAuthError("invalid_request", "The body is too large or has too many fields.") from exc
    return {name: form.getlist(name) for name in form}


def _oauth_error(exc: OAuthError) -> Response:
    return Response(exc.as_dict(), status=exc.status, headers={**NO_STORE, **exc.headers})


_ERROR = OpenApiResponse(OAuthErrorSerializer, description="RFC 6749 §5.2 error, as OAuth JSON")


class TokenView(APIView):
    """``POST /oauth2/token``: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4).

    Errors, including throttling, are OAuth JSON (§5.2) rather than problem+json, because OAuth
    clients parse ``error``.
    """

    authentication_classes: list = []  # the client authenticates itself (§2.3), below
    permission_classes = [AllowAny]
    parser_classes = [FormParser]  # documents the media type; the view reads the body itself
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="oauth2_token",
        summary="Get an access token (client credentials)",
        description=(
            "Authenticate with HTTP Basic (`client_id:client_secret`, each form-urlencoded) or with "
            "`client_id` and `client_secret` in the body. Unknown parameters are ignored."
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
                form=_token_form(request),
                authorization=request.META.get("HTTP_AUTHORIZATION", ""),
                address=client_address(request),
            )
        except OAuthError as exc:
            return _oauth_error(exc)
        return Response(body, headers=NO_STORE)

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.Throttled):
            wait = int(getattr(exc, "wait", None) or 60)
            return _oauth_error(
                OAuthError(
                    "temporarily_unavailable",
                    f"Too many requests; try again in {wait} seconds.",
                    status=429,
                    retry_after=wait,
                )
            )
        if isinstance(exc, exceptions.APIException):
            return _oauth_error(OAuthError("invalid_request", str(exc.detail), status=exc.status_code))
        return super().handle_exception(exc)


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
