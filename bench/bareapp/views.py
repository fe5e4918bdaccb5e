import json

from django.db import connection, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Document, Read


class DocumentView(APIView):
    """GET /documents/<id>: the authenticated caller reads one row."""

    def get(self, request, document_id: int):
        return Response(get_object_or_404(Document, pk=document_id).body)


class LoggedDocumentView(APIView):
    """GET /documents/<id>/logged: the floor of a read that logs itself, none of the vault's work.

    The same read in the shape the consented read's guarantees give its statements, and nothing
    else: in one transaction, the row read under a share lock (as a read holds its grant, so a
    revocation waits for the reads in flight) and one row inserted that records the read,
    committed before the answer. No rate limit, no decision, no decryption, no signature, no
    hash chain, no middleware beyond the bare endpoint's.
    """

    def get(self, request, document_id: int):
        with transaction.atomic():
            found = next(
                iter(
                    Document.objects.raw(
                        "SELECT id, body FROM bareapp_document WHERE id = %s FOR SHARE", [document_id]
                    )
                ),
                None,
            )
            if found is None:
                raise Http404
            Read.objects.create(document_id=found.pk, reader=request.user)
        return Response(found.body)


# The read and its record in one statement, so one transaction of its own (autocommit): the
# least a logged read can send. The vault's read cannot take this shape: its entry's hash links
# to the log's head and its checkpoint signs the tree the entry makes, so it reads before it
# writes.
_IN_ONE = (
    "WITH found AS (SELECT id, body FROM bareapp_document WHERE id = %s FOR SHARE), "
    "recorded AS (INSERT INTO bareapp_read (document_id, reader_id, at) "
    "SELECT id, %s, now() FROM found RETURNING 1) "
    "SELECT body, (SELECT count(*) FROM recorded) FROM found"
)


class LoggedInOneDocumentView(APIView):
    """GET /documents/<id>/logged-in-one: the floor's read and record in one statement."""

    def get(self, request, document_id: int):
        with connection.cursor() as cursor:
            cursor.execute(_IN_ONE, [document_id, request.user.pk])
            row = cursor.fetchone()
        if row is None:
            raise Http404
        body, recorded = row
        if recorded != 1:
            raise RuntimeError("The read was not recorded.")
        return Response(json.loads(body))  # Django's connection loads jsonb as its text
