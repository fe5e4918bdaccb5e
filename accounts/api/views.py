from drf_spectacular.utils import OpenApiResponse, extend_schema
from oauth2_provider.oauth2_backends import get_oauthlib_core
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.serializers import validated_body

from .. import requestkeys
from ..permissions import HasScope, IsRequester
from ..principals import acting_organisation, citizen_of, organisation_of
from . import oauth
from .oauth import FORM, OAuthError
from .serializers import (
    AuthorizationServerMetadataSerializer,
    IntrospectionRequestSerializer,
    IntrospectionResponseSerializer,
    OAuthErrorSerializer,
    RegisterRequestKeySerializer,
    RequestKeySerializer,
    RevocationRequestSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    WhoAmISerializer,
)


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


_ERROR = OpenApiResponse(OAuthErrorSerializer, description="RFC 6749 section 5.2 error, as OAuth JSON")
_ERRORS = {400: _ERROR, 401: _ERROR, 405: _ERROR, 429: _ERROR}


class OAuthEndpoint(APIView):
    """An endpoint of the authorization server, answered by django-oauth-toolkit (§2.3: the client
    authenticates itself there, not through DRF).

    Every error, DRF's own included, is OAuth JSON (RFC 6749 §5.2) rather than problem+json,
    because OAuth clients parse ``error``.
    """

    authentication_classes: list = []  # the client authenticates itself, in django-oauth-toolkit
    permission_classes = [AllowAny]
    parser_classes = [FormParser]  # documents the media type; django-oauth-toolkit reads the body
    renderer_classes = [JSONRenderer]

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.APIException):
            return oauth.error_for_api_exception(exc).response()
        return super().handle_exception(exc)

    def answer(self, core, request) -> tuple[dict[str, str], str, int]:
        raise NotImplementedError

    def post(self, request):
        try:
            oauth.check_form(request)
        except OAuthError as exc:
            return exc.response()
        core = get_oauthlib_core()
        return oauth.oauth_response(*self.answer(core, request._request))


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
        responses={200: TokenResponseSerializer, **_ERRORS},
        tags=["oauth2"],
    )
    def post(self, request):
        return super().post(request)

    def answer(self, core, request):
        _uri, headers, body, status = core.create_token_response(request)
        return headers, body, status


class RevocationView(OAuthEndpoint):
    """``POST /oauth2/revoke``: token revocation (RFC 7009) for the client's own access tokens."""

    @extend_schema(
        operation_id="oauth2_revoke",
        summary="Revoke an access token",
        description=(
            "The client authenticates as at the token endpoint and names one of its access tokens "
            "in `token`; the token stops working at once. An unknown or expired token is a success "
            "too (RFC 7009 section 2.2). Another client's live token is refused (`unauthorized_client`)."
        ),
        request={FORM: RevocationRequestSerializer},
        responses={
            200: OpenApiResponse(description="Revoked, or nothing left to revoke (empty body)"),
            **_ERRORS,
        },
        tags=["oauth2"],
    )
    def post(self, request):
        return super().post(request)

    def answer(self, core, request):
        _uri, headers, body, status = core.create_revocation_response(request)
        return headers, body, status


class IntrospectionView(OAuthEndpoint):
    """``POST /oauth2/introspect``: token introspection (RFC 7662) of the client's own access tokens."""

    @extend_schema(
        operation_id="oauth2_introspect",
        summary="Introspect an access token",
        description=(
            "The client authenticates as at the token endpoint and names one of its access tokens in "
            "`token`. A live token of its own is `active` with its scope, client_id and expiry; any "
            "other token (unknown, expired, revoked, another client's, an API token) is "
            '`{"active": false}` (RFC 7662 section 2.2).'
        ),
        request={FORM: IntrospectionRequestSerializer},
        responses={200: IntrospectionResponseSerializer, **_ERRORS},
        tags=["oauth2"],
    )
    def post(self, request):
        return super().post(request)

    def answer(self, core, request):
        return core.create_introspection_response(request)


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


class RequestKeysView(APIView):
    """Requesters: the keys your access requests may be signed with; register one you hold."""

    permission_classes = [IsRequester]

    @extend_schema(responses=RequestKeySerializer(many=True), tags=["access requests"])
    def get(self, request):
        keys = requestkeys.request_keys_of(acting_organisation(request))
        return Response(RequestKeySerializer(keys, many=True).data)

    @extend_schema(
        request=RegisterRequestKeySerializer, responses={201: RequestKeySerializer}, tags=["access requests"]
    )
    def post(self, request):
        data = validated_body(request, RegisterRequestKeySerializer)
        key = requestkeys.register_request_key(
            organisation=acting_organisation(request), verification_method=data["verificationMethod"]
        )
        return Response(RequestKeySerializer(key).data, status=status.HTTP_201_CREATED)


class RetireRequestKeyView(APIView):
    """Requesters: stop accepting proofs by one of your keys (requests it signed stay verifiable)."""

    permission_classes = [IsRequester]

    @extend_schema(request=None, responses=RequestKeySerializer, tags=["access requests"])
    def post(self, request, key_id):
        key = requestkeys.retire_request_key(organisation=acting_organisation(request), key_id=key_id)
        return Response(RequestKeySerializer(key).data)
