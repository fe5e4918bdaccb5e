from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ..principals import citizen_of, organisation_of
from .serializers import WhoAmISerializer


class WhoAmIView(APIView):
    """Who the presented credentials authenticate as: a quick way to check a token."""

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
