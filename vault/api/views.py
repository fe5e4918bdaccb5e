import io

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.idempotency import IDEMPOTENCY_KEY, replay_headers
from accounts.idempotency import run_once
from accounts.permissions import IsCitizen, IsIssuer
from accounts.principals import acting_citizen, acting_organisation
from core.serializers import UNKNOWN_PARAMETER, refuse_unknown_parameters, unknown_members, validated_body
from vc.dataintegrity import CRYPTOSUITE
from vc.types import supported_type_names

from .. import batches, documents, logcheck, logexport, podexport, podimport, selectors, services
from .. import erasure as erasure_service
from ..batchcsv import check_upload_size
from ..downloads import download_response
from ..errors import ErasureNotPending, LengthRequired, OverQuota, TruncatedUpload, UnsupportedContentType
from .parsers import BoundedMultiPartParser, CsvParser
from .serializers import (
    AccessEventSerializer,
    AccessLogPageSerializer,
    BatchDetailSerializer,
    BatchRowErrorSerializer,
    BatchSerializer,
    BatchUploadSerializer,
    CheckpointSerializer,
    ConsistencyQuerySerializer,
    DocumentSerializer,
    DocumentTypeSerializer,
    DocumentUploadQuerySerializer,
    ErasureSerializer,
    ExportSerializer,
    HeldCredentialSerializer,
    ImportResultSerializer,
    InclusionQuerySerializer,
    IssueCredentialSerializer,
    LatestLogCheckSerializer,
    LogCheckSerializer,
    LogKeysSerializer,
    LogProofSerializer,
    PodSerializer,
    held_credentials,
)


class IssueCredentialView(APIView):
    """An issuer issues a credential into a citizen's pod; the service signs it."""

    permission_classes = [IsIssuer]

    @extend_schema(
        request=IssueCredentialSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: HeldCredentialSerializer},
        tags=["issuance"],
    )
    def post(self, request):
        data = validated_body(request, IssueCredentialSerializer)
        issuer = acting_organisation(request)

        def issue():
            resource, signed = services.issue_into_pod(
                issuer=issuer,
                national_id=data["recipient"]["nationalId"],
                credential=data["credential"],
                cryptosuite=data.get("options", {}).get("cryptosuite", CRYPTOSUITE),
            )
            return (resource, signed), resource.pk

        (resource, signed), replayed = run_once(
            organisation=issuer,
            scope="issuer-credentials",
            key=request.headers.get("Idempotency-Key"),
            body=request.data,
            act=issue,
            replay=lambda resource_id: services.reopen_issued(issuer=issuer, resource_id=resource_id),
        )
        [body] = held_credentials([(resource, signed)])
        return Response(body, status=status.HTTP_201_CREATED, headers=replay_headers(replayed))


def _uploaded_csv(request) -> bytes:
    """The CSV of a batch upload: the text/csv body, or the multipart part named ``file``."""
    if isinstance(request.data, bytes):
        data = request.data
    else:
        # Only the part named "file": another part (a misspelt name, an option we do not have)
        # is refused by name rather than ignored.
        unknown = unknown_members(request.data, BatchUploadSerializer())
        if unknown:
            raise ValidationError({name: "Unknown form part (accepted here: file)." for name in unknown})
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError(
                {"file": "Send the CSV as a multipart file part named 'file', or as a text/csv body."}
            )
        check_upload_size(upload.size)  # before reading it into memory
        data = upload.read()
    if not data:
        raise ValidationError({"file": "The CSV is empty."})
    return data


class IssuerBatchesView(generics.ListAPIView):
    """Issuers: hand in a CSV of diplomas to issue as a batch, or list your batches."""

    permission_classes = [IsIssuer]
    parser_classes = [BoundedMultiPartParser, CsvParser]
    serializer_class = BatchSerializer

    def get_queryset(self):
        return selectors.batches_of(acting_organisation(self.request))

    @extend_schema(tags=["issuance"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": BatchUploadSerializer, "text/csv": OpenApiTypes.STR},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description=(
                    "Optional, 1 to 255 visible ASCII characters, unique per organisation: an upload "
                    "repeating a key answers 200 with the batch the key made (422 with another file)."
                ),
            ),
            OpenApiParameter(
                "credentialType",
                OpenApiTypes.STR,
                enum=supported_type_names(),
                description=(
                    f"The type every row becomes (default {batches.DEFAULT_BATCH_TYPE}); it decides "
                    "the CSV's columns (GET /api/v1/credential-types lists each type's claims and columns)."
                ),
            ),
        ],
        responses={
            202: OpenApiResponse(BatchSerializer, description="A new batch, queued."),
            200: OpenApiResponse(
                BatchSerializer,
                description="This file (or Idempotency-Key) made this batch earlier; nothing new is issued.",
            ),
        },
        tags=["issuance"],
    )
    def post(self, request):
        refuse_unknown_parameters(request.query_params, ("credentialType",))
        submission = batches.submit_batch(
            issuer=acting_organisation(request),
            data=_uploaded_csv(request),
            credential_type=request.query_params.get("credentialType", batches.DEFAULT_BATCH_TYPE),
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        location = reverse("issuer-batch", kwargs={"batch_id": submission.batch.pk})
        return Response(
            BatchSerializer(submission.batch).data,
            status=status.HTTP_202_ACCEPTED if submission.created else status.HTTP_200_OK,
            headers={"Location": location},
        )


class IssuerBatchView(APIView):
    """Issuers: one of your batches, its progress, its error count and first errors."""

    permission_classes = [IsIssuer]

    @extend_schema(responses=BatchDetailSerializer, tags=["issuance"])
    def get(self, request, batch_id):
        batch = selectors.batch_of(acting_organisation(request), batch_id)
        return Response(BatchDetailSerializer(batch).data)


class IssuerBatchErrorsView(generics.ListAPIView):
    """Issuers: every per-line error of one of your batches, by line, a page at a time."""

    permission_classes = [IsIssuer]
    serializer_class = BatchRowErrorSerializer

    def get_queryset(self):
        return selectors.batch_errors(acting_organisation(self.request), self.kwargs["batch_id"])

    @extend_schema(tags=["issuance"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PodView(APIView):
    """The citizen's own pod."""

    permission_classes = [IsCitizen]

    @extend_schema(responses=PodSerializer, tags=["pod"])
    def get(self, request):
        pod = selectors.pod_of(acting_citizen(request))
        summary = {
            "id": pod.pk,
            "holder_did": pod.holder_did,
            "created_at": pod.created_at,
            "credential_count": pod.credentials.count(),
        }
        return Response(PodSerializer(summary).data)


class PodCredentialsView(APIView):
    """The citizen's credentials, decrypted (this read is logged like any other). It takes no
    query parameter: any is refused by name (400)."""

    permission_classes = [IsCitizen]

    @extend_schema(
        responses={200: HeldCredentialSerializer(many=True), 400: UNKNOWN_PARAMETER},
        tags=["pod"],
    )
    def get(self, request):
        refuse_unknown_parameters(request.query_params, ())
        pairs = services.read_own_credentials(owner=acting_citizen(request))
        return Response(held_credentials(pairs))


class AccessLogView(generics.GenericAPIView):
    """Who did what with the pod: every issuance, request, decision, read and denied attempt,
    newest first, with the signed checkpoint of the whole log (keep it: it proves later, offline,
    that no entry up to it was changed or removed)."""

    permission_classes = [IsCitizen]
    serializer_class = AccessEventSerializer

    @extend_schema(responses=AccessLogPageSerializer, tags=["pod"])
    def get(self, request):
        pod = selectors.pod_of(acting_citizen(request))
        page = self.paginate_queryset(selectors.access_log(pod))
        serializer = self.get_serializer(
            page,
            many=True,
            context={**self.get_serializer_context(), "sealed_details": selectors.sealed_details(pod)},
        )
        body = self.get_paginated_response(serializer.data).data
        latest = selectors.latest_checkpoint(pod)
        body["checkpoint"] = CheckpointSerializer(latest).data if latest else None
        return Response(body)


def _no_query(request) -> None:
    """Refuse every query parameter, by name: the endpoint takes none."""
    if request.query_params:
        raise ValidationError({name: ["Unknown query parameter."] for name in sorted(request.query_params)})


def _no_body(request) -> None:
    """Refuse a body, naming its fields: the endpoint takes none."""
    if not request.data:
        return
    if hasattr(request.data, "keys"):
        raise ValidationError({name: ["Unknown field."] for name in sorted(request.data.keys())})
    raise ValidationError({"body": ["This request takes no body."]})


class AccessLogVerifyView(APIView):
    """The server's check of the pod's whole log (chain, Merkle tree against the latest signed
    checkpoint), run in the background: POST asks for one, GET gives the latest result."""

    permission_classes = [IsCitizen]

    @extend_schema(responses=LatestLogCheckSerializer, tags=["pod"])
    def get(self, request):
        """The latest finished check, with the head it checked and whether the log has grown
        since (``stale``), and a newer check under way (``working``). Nothing is recomputed."""
        _no_query(request)
        pod = selectors.pod_of(acting_citizen(request))
        return Response(LatestLogCheckSerializer(logcheck.state_of(pod)).data)

    @extend_schema(
        request=None,
        responses={
            202: OpenApiResponse(
                LogCheckSerializer,
                description="The check asked for, or the one of the same head still under way; "
                "follow it at Location.",
            )
        },
        tags=["pod"],
    )
    def post(self, request):
        """Ask for a check of the log as it is now: 202 with the check and a Location to follow.
        While a check of the same head is queued or running, it is answered again (no second
        one starts); once one has finished, asking again recomputes."""
        _no_query(request)
        _no_body(request)
        pod = selectors.pod_of(acting_citizen(request))
        check = logcheck.request_check(pod)
        check.refresh_from_db()  # the task may have run already (eager Celery)
        location = reverse("pod-log-check", kwargs={"check_id": check.pk})
        return Response(
            _check_body(check, pod), status=status.HTTP_202_ACCEPTED, headers={"Location": location}
        )


def _check_body(check, pod) -> dict:
    return LogCheckSerializer(check, context={"head": logcheck.head_now(pod)}).data


class AccessLogCheckView(APIView):
    """One check of the pod's log: its progress, then what it found."""

    permission_classes = [IsCitizen]

    @extend_schema(responses=LogCheckSerializer, tags=["pod"])
    def get(self, request, check_id):
        _no_query(request)
        pod = selectors.pod_of(acting_citizen(request))
        return Response(_check_body(logcheck.check_of(pod, check_id), pod))


class InclusionProofView(APIView):
    """Prove that entry ``seq`` is in the log (RFC 9162 inclusion proof), under the root of the
    whole log (or of ``treeSize`` entries: a checkpoint you kept)."""

    permission_classes = [IsCitizen]

    @extend_schema(parameters=[InclusionQuerySerializer], responses=LogProofSerializer, tags=["pod"])
    def get(self, request):
        query = _query(request, InclusionQuerySerializer)
        pod = selectors.pod_of(acting_citizen(request))
        proof = selectors.log_inclusion_proof(pod, seq=query["seq"], tree_size=query.get("treeSize"))
        latest = selectors.latest_checkpoint(pod)
        return Response(LogProofSerializer(proof, context={"latest": latest}).data)


class ConsistencyProofView(APIView):
    """Prove that the log of ``fromSize`` entries (a checkpoint you kept) is a prefix of the log
    now (or of ``treeSize`` entries): nothing in it was changed or removed since (RFC 9162)."""

    permission_classes = [IsCitizen]

    @extend_schema(parameters=[ConsistencyQuerySerializer], responses=LogProofSerializer, tags=["pod"])
    def get(self, request):
        query = _query(request, ConsistencyQuerySerializer)
        pod = selectors.pod_of(acting_citizen(request))
        proof = selectors.log_consistency_proof(
            pod, old_size=query["fromSize"], tree_size=query.get("treeSize")
        )
        latest = selectors.latest_checkpoint(pod)
        return Response(LogProofSerializer(proof, context={"latest": latest}).data)


class AccessLogExportView(APIView):
    """Download the whole log with an inclusion proof per entry, the signed checkpoint and the log
    keys: check it offline with ``python -m vault.verify_log``. The download is logged."""

    permission_classes = [IsCitizen]

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, tags=["pod"])
    def get(self, request):
        pod, export = logexport.export_log(owner=acting_citizen(request))
        return Response(
            export, headers={"Content-Disposition": f'attachment; filename="access-log-{pod.pk}.json"'}
        )


def _query(request, serializer_class) -> dict:
    refuse_unknown_parameters(request.query_params, serializer_class().fields)
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class LogKeysView(APIView):
    """The public keys that sign access-log checkpoints, retired ones included (old checkpoints
    must still verify). Public: a citizen's verifier needs them without an account."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses=LogKeysSerializer, tags=["pod"], auth=[])
    def get(self, request):
        return Response(LogKeysSerializer({"keys": selectors.log_keys()}).data)


class DocumentTypesView(APIView):
    """The document types a pod keeps, and the content types each accepts (checked by content)."""

    permission_classes = [IsCitizen]

    @extend_schema(responses=DocumentTypeSerializer(many=True), tags=["documents"])
    def get(self, request):
        return Response(DocumentTypeSerializer(documents.DOCUMENT_TYPES.values(), many=True).data)


def _declared_length(request) -> int | None:
    declared = request.META.get("CONTENT_LENGTH")
    if declared is None or declared == "":
        return None
    if not declared.isdigit():
        raise ValidationError({"Content-Length": "Not a number of bytes."})
    return int(declared)


class PodDocumentsView(APIView):
    """The citizen's personal documents: list their metadata, or upload one (the raw file as the
    body, its media type as Content-Type; checked by its bytes, sealed in chunks)."""

    permission_classes = [IsCitizen]

    @extend_schema(responses=DocumentSerializer(many=True), tags=["documents"])
    def get(self, request):
        pod = selectors.pod_of(acting_citizen(request))
        return Response(DocumentSerializer(documents.documents_in(pod), many=True).data)

    @extend_schema(
        parameters=[DocumentUploadQuerySerializer],
        request={media: OpenApiTypes.BINARY for media in documents.EXTENSIONS},
        # 400 (unknown type, bad name, empty or truncated upload), 411, 413 (too large, over the
        # quota) and 415 (a content type the document type does not take, or bytes not of it)
        # are the problem responses every operation with a body documents (config.openapi).
        responses={201: DocumentSerializer},
        tags=["documents"],
    )
    def post(self, request):
        query = _query(request, DocumentUploadQuerySerializer)
        # request.stream, not request.data: the body is read a chunk at a time by the service.
        document = documents.store_document(
            owner=acting_citizen(request),
            document_type=query["type"],
            content_type=request.content_type or "",
            stream=request.stream or io.BytesIO(),
            length=_declared_length(request),
            name=query.get("name"),
        )
        location = reverse("pod-document", kwargs={"document_id": document.pk})
        return Response(
            DocumentSerializer(document).data, status=status.HTTP_201_CREATED, headers={"Location": location}
        )


class PodDocumentView(APIView):
    """One of the citizen's documents: download it (logged) or delete it (logged)."""

    permission_classes = [IsCitizen]

    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY}, tags=["documents"])
    def get(self, request, document_id):
        document, name, content = documents.read_document(
            owner=acting_citizen(request), document_id=document_id
        )
        return download_response(document, name, content)

    @extend_schema(responses={204: None}, tags=["documents"])
    def delete(self, request, document_id):
        documents.delete_document(owner=acting_citizen(request), document_id=document_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PodExportsView(APIView):
    """Ask for the whole pod as one archive (zip): built in the background; poll its progress."""

    permission_classes = [IsCitizen]

    @extend_schema(request=None, responses={202: ExportSerializer}, tags=["pod"])
    def post(self, request):
        if request.data:
            raise ValidationError({"body": "This request takes no body."})
        export = podexport.request_export(owner=acting_citizen(request))
        location = reverse("pod-export", kwargs={"export_id": export.pk})
        return Response(
            ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED, headers={"Location": location}
        )


class PodExportView(APIView):
    """One of the citizen's exports: its state and progress, and its download link once ready."""

    permission_classes = [IsCitizen]

    @extend_schema(responses=ExportSerializer, tags=["pod"])
    def get(self, request, export_id):
        return Response(ExportSerializer(podexport.export_of(acting_citizen(request), export_id)).data)


class PodExportArchiveView(APIView):
    """Download an export's archive: its owner only, until it expires (410 after). Logged."""

    permission_classes = [IsCitizen]

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY}, tags=["pod"])
    def get(self, request, export_id):
        export, archive = podexport.download_export(owner=acting_citizen(request), export_id=export_id)
        response = HttpResponse(archive, content_type="application/zip")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"citizen-vault-pod-{export.pod_id}.zip"
        )
        response["Cache-Control"] = "no-store"
        return response


class PodErasureView(APIView):
    """Erase the whole pod: asked for now, carried out after a grace period (POD_ERASURE_GRACE_DAYS,
    7 days by default) in which DELETE cancels it. Then the pod's key is destroyed and every row
    deleted; a tombstone (pod id, time, the log's final checkpoint) remains."""

    permission_classes = [IsCitizen]

    @extend_schema(responses=ErasureSerializer, tags=["pod"])
    def get(self, request):
        erasure = erasure_service.pending_erasure(acting_citizen(request))
        if erasure is None:
            raise ErasureNotPending("No erasure of your pod is pending.")
        return Response(ErasureSerializer(erasure).data)

    @extend_schema(request=None, responses={202: ErasureSerializer}, tags=["pod"])
    def post(self, request):
        if request.data:
            raise ValidationError({"body": "This request takes no body."})
        erasure = erasure_service.request_erasure(owner=acting_citizen(request))
        return Response(ErasureSerializer(erasure).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={204: None}, tags=["pod"])
    def delete(self, request):
        erasure_service.cancel_erasure(owner=acting_citizen(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PodImportView(APIView):
    """Import a pod export (the zip of POST /pod/exports, from this or another Citizen Vault) into
    your pod, which must hold no credential or document yet. Every proof, the log and every
    file's digest are checked first; a failure is a 422 naming the file and what failed, and
    nothing is stored."""

    permission_classes = [IsCitizen]

    @extend_schema(
        request={"application/zip": OpenApiTypes.BINARY},
        responses={201: ImportResultSerializer},
        tags=["pod"],
    )
    def post(self, request):
        if (request.content_type or "").split(";")[0].strip() != "application/zip":
            raise UnsupportedContentType("Send the archive as the body, with Content-Type application/zip.")
        length = _declared_length(request)
        if length is None:
            raise LengthRequired("Send the archive with a Content-Length header.")
        if length > settings.POD_IMPORT_MAX_BYTES:
            raise OverQuota(f"An archive is at most {settings.POD_IMPORT_MAX_BYTES} bytes.")
        data = (request.stream or io.BytesIO()).read(length + 1)
        if len(data) != length:
            raise TruncatedUpload(f"The upload ended after {len(data)} of its {length} declared bytes.")
        pod, checked = podimport.import_archive(owner=acting_citizen(request), data=data)
        result = {
            "pod": pod.pk,
            "origin": checked.origin,
            "holderDid": checked.holder_did,
            "credentials": len(checked.credentials),
            "documents": len(checked.documents),
            "signedRequestsChecked": checked.signed_requests,
        }
        return Response(ImportResultSerializer(result).data, status=status.HTTP_201_CREATED)
