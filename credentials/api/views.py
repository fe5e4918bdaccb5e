from django.http import Http404, HttpResponse
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from ..jsonld import CONTEXTS


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
