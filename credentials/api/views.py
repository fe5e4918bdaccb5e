import json
import uuid

from django.http import Http404, HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from vc.jsonld import CONTEXTS
from vc.statuslist import MAX_CACHE_SECONDS
from vc.types import CREDENTIAL_TYPES, supported_type_names

from ..errors import UnknownStatusList
from ..hosted import published_did_document
from ..service_identity import published_service_did_document
from ..statuslist import published_status_list
from .serializers import CredentialTypeSerializer


class CredentialTypesView(APIView):
    """The credential types this service issues and holds: their words, contexts, schema and claims."""

    permission_classes = [AllowAny]  # public: what a requester may ask for, what an issuer may send
    authentication_classes: list = []

    @extend_schema(responses=CredentialTypeSerializer(many=True), tags=["credentials"])
    def get(self, request):
        registered = [CREDENTIAL_TYPES[name] for name in supported_type_names()]
        return Response(CredentialTypeSerializer(registered, many=True).data)


class ContextView(APIView):
    """The JSON-LD contexts we ship, byte for byte, so verifiers anywhere can pin them."""

    permission_classes = [AllowAny]  # public by design: contexts are needed to verify offline
    authentication_classes: list = []

    @extend_schema(responses={(200, "application/ld+json"): OpenApiTypes.OBJECT}, tags=["credentials"])
    def get(self, request, name: str):
        for context in CONTEXTS.values():
            if context.filename == f"{name}.jsonld":
                response = HttpResponse(context.raw, content_type="application/ld+json")
                response["Cache-Control"] = "public, max-age=86400, immutable"
                response["ETag"] = f'"{context.sha256}"'
                return response
        raise Http404


class StatusListView(APIView):
    """An issuer's Bitstring Status List, as a signed BitstringStatusListCredential.

    Public by design: any verifier of a credential we issued must be able to read its status.
    Cacheable for at most a minute, so a revocation is seen everywhere within one.
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        parameters=[OpenApiParameter("list_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={(200, "application/vc+ld+json"): OpenApiTypes.OBJECT},
        tags=["credentials"],
        operation_id="status_list_retrieve",
    )
    def get(self, request, list_id: str):
        # The route takes any path so that a malformed id is answered here, as a problem document.
        try:
            document = published_status_list(uuid.UUID(list_id))
        except ValueError as exc:
            raise UnknownStatusList(f"{list_id!r} is not a status list id (a UUID).") from exc
        response = HttpResponse(
            json.dumps(document, ensure_ascii=False), content_type="application/vc+ld+json"
        )
        response["Cache-Control"] = f"public, max-age={MAX_CACHE_SECONDS}"
        return response


# A rotation shows in the document within this long; verifiers cache it (DID_WEB_CACHE_SECONDS) too.
DID_DOCUMENT_CACHE_SECONDS = 300


class IssuerDidDocumentView(APIView):
    """The DID document of an issuer's did:web DID hosted here (credentials.hosted).

    Public by design: did:web resolution is an anonymous HTTPS GET. It lists every key of the
    issuer, retired ones included, so credentials signed before a rotation keep verifying.
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses={(200, "application/did+ld+json"): OpenApiTypes.OBJECT},
        tags=["credentials"],
        operation_id="issuer_did_document_retrieve",
    )
    def get(self, request, slug: str):
        document = published_did_document(slug)
        response = HttpResponse(
            json.dumps(document, ensure_ascii=False), content_type="application/did+ld+json"
        )
        response["Cache-Control"] = f"public, max-age={DID_DOCUMENT_CACHE_SECONDS}"
        return response


class ServiceDidDocumentView(APIView):
    """The DID document of the service's own did:web DID, ``did:web:<ISSUER_DID_WEB_HOST>``
    (credentials.service_identity): the keys its access-grant credentials are signed with.

    Public by design: did:web resolution is an anonymous HTTPS GET.
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses={(200, "application/did+ld+json"): OpenApiTypes.OBJECT},
        tags=["credentials"],
        operation_id="service_did_document_retrieve",
    )
    def get(self, request):
        document = published_service_did_document()
        response = HttpResponse(
            json.dumps(document, ensure_ascii=False), content_type="application/did+ld+json"
        )
        response["Cache-Control"] = f"public, max-age={DID_DOCUMENT_CACHE_SECONDS}"
        return response
