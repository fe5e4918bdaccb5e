from django.shortcuts import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Document


class DocumentView(APIView):
    """GET /documents/<id>: the authenticated caller reads one row."""

    def get(self, request, document_id: int):
        return Response(get_object_or_404(Document, pk=document_id).body)
