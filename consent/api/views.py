from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.idempotency import IDEMPOTENCY_KEY, replay_headers
from accounts.idempotency import run_once
from accounts.models import Organisation
from accounts.oauth import READ_GRANTS, HasScope
from accounts.permissions import IsCitizen, IsRequester
from accounts.principals import acting_citizen, acting_organisation
from core.serializers import UNKNOWN_PARAMETER, refuse_unknown_parameters, validated_body
from vault.downloads import download_response
from vault.evidence import evidence_document

from .. import receipts, selectors, services
from ..errors import SignatureRefused, SignatureRequired
from ..signing import SIGNATURE_MEMBERS, SignedRequest
from ..timing import answered_no_sooner_than_the_floor
from .serializers import (
    AccessRequestSerializer,
    ApproveSerializer,
    DenySerializer,
    DocumentReadQuerySerializer,
    GrantDocumentsSerializer,
    GrantSerializer,
    LegalReadResponseSerializer,
    LegalReadSerializer,
    PresentationResultSerializer,
    ReadLimitSerializer,
    ReadQuerySerializer,
    RevokeSerializer,
    SignedFileAccessRequestSerializer,
    WithdrawSerializer,
    read_query,
)
from .throttles import FileAccessRequestThrottle

STATUS_FILTER = OpenApiParameter(
    "status",
    str,
    enum=selectors.REQUEST_STATUS_FILTERS,
    description="Only requests in this state ('pending' leaves out expired ones).",
)


def _status_filter(request) -> str | None:
    value = request.query_params.get("status")
    if value is not None and value not in selectors.REQUEST_STATUS_FILTERS:
        raise ValidationError({"status": f"Must be one of {', '.join(selectors.REQUEST_STATUS_FILTERS)}."})
    return value


class OrganisationAccessRequestsView(generics.ListAPIView):
    """Requesters: file an access request to a citizen, or list the ones you filed."""

    permission_classes = [IsRequester]
    serializer_class = AccessRequestSerializer

    def get_throttles(self):
        return [*super().get_throttles(), FileAccessRequestThrottle()]

    def get_queryset(self):
        return selectors.requests_by_organisation(
            acting_organisation(self.request), status=_status_filter(self.request)
        )

    @extend_schema(parameters=[STATUS_FILTER], tags=["access requests"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=SignedFileAccessRequestSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: AccessRequestSerializer},
        tags=["access requests"],
        description=(
            "File an access request to the citizen with this national identifier. A number whose "
            "holder has no pod here (yet) is filed the same way and answered the same (201, "
            "pending): the request is held for the number's keyed hash and reaches the citizen if "
            "their pod opens before answerBy (docs/api.md, 'A national number with no pod here'). "
            "Changed on 2026-12-03: this used to be a 404 citizen-not-found."
        ),
    )
    def post(self, request):
        data = validated_body(request, SignedFileAccessRequestSerializer)
        requester = acting_organisation(request)
        signed = None
        if any(member in request.data for member in SIGNATURE_MEMBERS):
            # The bytes as sent (core.parsers keeps them within the body limit): the evidence.
            raw = getattr(request, "json_bytes", None)
            if raw is None:
                raise SignatureRefused("Send a signed request as application/json.", reason="malformed")
            signed = SignedRequest(raw=raw, document=request.data)
        elif settings.ACCESS_REQUESTS_REQUIRE_SIGNATURE:
            raise SignatureRequired(
                "Sign the request with a key your organisation registered (docs/api.md, "
                '"Signed access requests"): add @context, nonce and an eddsa-jcs-2022 proof.'
            )

        def file():
            scope = data.get("authorizationDetails")
            access_request = services.file_access_request(
                requester=requester,
                national_id=data["citizen"]["nationalId"],
                credential_types=list(scope.credential_types) if scope else data["credentialTypes"],
                claims=scope.claims if scope else None,
                document_types=list(scope.document_types) if scope else (),
                purpose=data["purpose"],
                purpose_description=data["purposeDescription"],
                valid_until=data["validUntil"],
                answer_by=data.get("answerBy"),
                max_reads=data.get("maxReads"),
                signed=signed,
            )
            return access_request, access_request.pk

        with answered_no_sooner_than_the_floor():
            access_request, replayed = run_once(
                organisation=requester,
                scope="access-requests",
                key=request.headers.get("Idempotency-Key"),
                body=request.data,
                act=file,
                replay=lambda request_id: selectors.request_of_organisation(requester, request_id),
            )
        return Response(
            AccessRequestSerializer(access_request).data,
            status=status.HTTP_201_CREATED,
            headers=replay_headers(replayed),
        )


class OrganisationAccessRequestView(APIView):
    """Requesters: one request you filed, with its grant id once approved."""

    permission_classes = [IsRequester]

    @extend_schema(responses=AccessRequestSerializer, tags=["access requests"])
    def get(self, request, request_id):
        access_request = selectors.request_of_organisation(acting_organisation(request), request_id)
        return Response(AccessRequestSerializer(access_request).data)


def _empty_body(request, serializer) -> None:
    """A body is optional on these actions, but must not carry anything."""
    if request.stream is not None:
        validated_body(request, serializer)


class WithdrawRequestView(APIView):
    """Requesters: withdraw a request the citizen has not answered yet (409 once it was)."""

    permission_classes = [IsRequester]

    @extend_schema(
        request=WithdrawSerializer,
        responses=AccessRequestSerializer,
        tags=["access requests"],
    )
    def post(self, request, request_id):
        _empty_body(request, WithdrawSerializer)
        with answered_no_sooner_than_the_floor():  # a held request's withdrawal logs nothing
            access_request = services.withdraw_request(
                requester=acting_organisation(request), request_id=request_id
            )
        return Response(AccessRequestSerializer(access_request).data)


class WithdrawGrantView(APIView):
    """Requesters: give up a grant you hold; no read under it is allowed from then on."""

    permission_classes = [IsRequester]

    @extend_schema(
        request=WithdrawSerializer,
        responses=GrantSerializer,
        tags=["access requests"],
    )
    def post(self, request, grant_id):
        _empty_body(request, WithdrawSerializer)
        grant = services.withdraw_grant(requester=acting_organisation(request), grant_id=grant_id)
        return Response(GrantSerializer(grant).data)


class OrganisationGrantView(APIView):
    """Requesters: a grant you were given, with its access-grant credential (the grant signed by
    this service, to show a third party; its status list says whether it still holds)."""

    permission_classes = [IsRequester]

    @extend_schema(responses=GrantSerializer, tags=["access requests"])
    def get(self, request, grant_id):
        grant = selectors.grant_of_organisation(acting_organisation(request), grant_id)
        return Response(GrantSerializer(grant).data)


class GrantCredentialsView(APIView):
    """Requesters: read the credentials a grant covers, as a verifiable presentation made for you.

    The presentation holds the credentials with their original proofs and is signed by the
    citizen's holder key over your challenge and domain: verify it with the same two values.
    A query parameter other than those listed is refused by name (400), never ignored.
    """

    permission_classes = [IsRequester, HasScope.of(READ_GRANTS)]

    @extend_schema(
        parameters=[ReadQuerySerializer],
        responses={200: PresentationResultSerializer, 400: UNKNOWN_PARAMETER},
        tags=["access requests"],
    )
    def get(self, request, grant_id):
        query = read_query(request.query_params)
        _, presentation = services.read_under_grant(
            organisation=acting_organisation(request),
            grant_id=grant_id,
            purpose=query["purpose"],
            challenge=query["challenge"],
            domain=query["domain"],
            credential_type=query.get("type"),
            cryptosuite=query["cryptosuite"],
            claims=query.get("claim"),
        )
        return Response(PresentationResultSerializer({"verifiablePresentation": presentation}).data)


def _document_query(request) -> DocumentReadQuerySerializer:
    """The documents' query (its purpose), a parameter it does not take refused by name: a
    misspelt ``?purpose=`` must not read as a request without one, nor a stray one pass unseen."""
    query = DocumentReadQuerySerializer(data=request.query_params)
    refuse_unknown_parameters(request.query_params, query.fields)
    query.is_valid(raise_exception=True)
    return query


class GrantDocumentsView(APIView):
    """Requesters: the citizen's documents of the types a grant covers (metadata only).

    Listing uses none of the grant's reads and is not logged; the grant must still hold (active,
    begun, not ended) for the purpose given, and a denied attempt is logged in the citizen's pod.
    A query parameter other than ``purpose`` is refused by name (400), never ignored.
    """

    permission_classes = [IsRequester, HasScope.of(READ_GRANTS)]

    @extend_schema(
        operation_id="api_v1_grants_documents_list",
        parameters=[DocumentReadQuerySerializer],
        responses={200: GrantDocumentsSerializer, 400: UNKNOWN_PARAMETER},
        tags=["access requests"],
    )
    def get(self, request, grant_id):
        query = _document_query(request)
        found = services.documents_under_grant(
            organisation=acting_organisation(request),
            grant_id=grant_id,
            purpose=query.validated_data["purpose"],
        )
        return Response(GrantDocumentsSerializer({"documents": found}).data)


class GrantDocumentView(APIView):
    """Requesters: download one document a grant covers, as the citizen stored it.

    A read: it uses one of the grant's reads (when it has a limit) and is logged in the
    citizen's pod (document.read) in the same transaction; the content then streams, decrypted
    a chunk at a time. A document of a type the grant does not cover is a 404 like one that
    does not exist. A query parameter other than ``purpose`` is refused by name (400) before
    anything is read or logged.
    """

    permission_classes = [IsRequester, HasScope.of(READ_GRANTS)]

    @extend_schema(
        parameters=[DocumentReadQuerySerializer],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The document's bytes, with its content type and file name "
                "(Content-Disposition: attachment).",
            ),
            400: UNKNOWN_PARAMETER,
        },
        tags=["access requests"],
    )
    def get(self, request, grant_id, document_id):
        query = _document_query(request)
        read = services.read_document_under_grant(
            organisation=acting_organisation(request),
            grant_id=grant_id,
            purpose=query.validated_data["purpose"],
            document_id=document_id,
        )
        return download_response(read.document, read.name, read.content)


class CitizenAccessRequestsView(generics.ListAPIView):
    """Citizens: the access requests made to your pod."""

    permission_classes = [IsCitizen]
    serializer_class = AccessRequestSerializer

    def get_queryset(self):
        return selectors.requests_to_citizen(
            acting_citizen(self.request), status=_status_filter(self.request)
        )

    @extend_schema(parameters=[STATUS_FILTER], tags=["consent"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ApproveRequestView(APIView):
    """Citizens: approve a request (optionally narrowed); this creates a grant."""

    permission_classes = [IsCitizen]

    @extend_schema(request=ApproveSerializer, responses={201: GrantSerializer}, tags=["consent"])
    def post(self, request, request_id):
        data = validated_body(request, ApproveSerializer)
        scope = data.get("authorizationDetails")
        grant = services.approve_request(
            citizen=acting_citizen(request),
            request_id=request_id,
            credential_types=list(scope.credential_types) if scope else data.get("credentialTypes"),
            claims=scope.claims if scope else None,
            document_types=list(scope.document_types) if scope else None,
            valid_until=data.get("validUntil"),
            max_reads=data.get("maxReads"),
        )
        return Response(GrantSerializer(grant).data, status=status.HTTP_201_CREATED)


class DenyRequestView(APIView):
    """Citizens: deny a request."""

    permission_classes = [IsCitizen]

    @extend_schema(request=DenySerializer, responses=AccessRequestSerializer, tags=["consent"])
    def post(self, request, request_id):
        data = validated_body(request, DenySerializer)
        access_request = services.deny_request(
            citizen=acting_citizen(request), request_id=request_id, reason=data["reason"]
        )
        return Response(AccessRequestSerializer(access_request).data)


class CitizenGrantsView(generics.ListAPIView):
    """Citizens: the grants you gave, active and revoked."""

    permission_classes = [IsCitizen]
    serializer_class = GrantSerializer

    def get_queryset(self):
        return selectors.grants_of_citizen(acting_citizen(self.request))

    @extend_schema(tags=["consent"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class RevokeGrantView(APIView):
    """Citizens: revoke a grant. The very next read under it is denied."""

    permission_classes = [IsCitizen]

    @extend_schema(request=RevokeSerializer, responses=GrantSerializer, tags=["consent"])
    def post(self, request, grant_id):
        _empty_body(request, RevokeSerializer)
        grant = services.revoke_grant(citizen=acting_citizen(request), grant_id=grant_id)
        return Response(GrantSerializer(grant).data)


class ReadLimitView(APIView):
    """Citizens: lower how many reads a grant allows (never raise it). Down to the reads already
    made, the grant ends (exhausted); the same limit again changes nothing."""

    permission_classes = [IsCitizen]

    @extend_schema(
        request=ReadLimitSerializer,
        responses=GrantSerializer,
        tags=["consent"],
    )
    def post(self, request, grant_id):
        data = validated_body(request, ReadLimitSerializer)
        grant = services.lower_read_limit(
            citizen=acting_citizen(request), grant_id=grant_id, max_reads=data["maxReads"]
        )
        return Response(GrantSerializer(grant).data)


class IsAgency(IsRequester):
    message = "Only a public agency reads under a mandate."
    kinds: tuple[str, ...] = (Organisation.Kind.AGENCY,)  # type: ignore[assignment]


class LegalReadsView(APIView):
    """Agencies: read under a mandate the law gives you, without the citizens' consent.

    State the mandate and the case; name one citizen or many (a bulk read). Each citizen's read
    is logged in their own pod as a legal read with the mandate's legal reference and your case
    reference, sealed until a date where the mandate has a disclosure delay. Anything outside
    the mandate is refused and logged as a denied attempt in each citizen's pod.
    """

    # Agencies only: anyone else is refused before a citizen is looked up (nothing to learn of
    # who has a pod here, nothing written into anyone's log).
    permission_classes = [IsAgency]

    @extend_schema(request=LegalReadSerializer, responses=LegalReadResponseSerializer, tags=["legal reads"])
    def post(self, request):
        data = validated_body(request, LegalReadSerializer)
        citizens = data["citizens"] if "citizens" in data else [data["citizen"]]
        results = services.read_under_mandate(
            organisation=acting_organisation(request),
            mandate_id=data["mandate"],
            case_reference=data.get("caseReference", ""),
            national_ids=[citizen["nationalId"] for citizen in citizens],
            challenge=data["challenge"],
            domain=data["domain"],
            credential_type=data.get("type"),
            claims=data.get("claims"),
            cryptosuite=data["cryptosuite"],
        )
        body = {
            "mandate": data["mandate"],
            "caseReference": data.get("caseReference", ""),
            "results": [
                {
                    "nationalId": result.national_id,
                    "outcome": "read" if result.allowed else "denied",
                    "verifiablePresentation": result.presentation,
                    "reason": result.reason,
                    "detail": result.detail,
                    "sealedUntil": result.sealed_until,
                }
                for result in results
            ],
        }
        return Response(LegalReadResponseSerializer(body).data)


def _evidence_response(evidence) -> HttpResponse:
    body = JSONRenderer().render(evidence_document(evidence), renderer_context={"indent": 2})
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="signed-request-{evidence.request_id}.json"'
    return response


EVIDENCE_RESPONSES = {
    (200, "application/json"): OpenApiResponse(
        OpenApiTypes.OBJECT,
        description=(
            "The signed request verbatim (signedRequest, a string holding the bytes as received), "
            "its sha256, the organisation, the verification method and whether it was the "
            "organisation's own key or its custodial key (signer). Verify offline with "
            "python -m consent.verify_request (docs/api.md)."
        ),
    ),
    404: OpenApiResponse(description="Not your request, or filed unsigned."),
}


class RequestEvidenceView(APIView):
    """Citizens: download the signed access request, as its requester sent it."""

    permission_classes = [IsCitizen]

    @extend_schema(responses=EVIDENCE_RESPONSES, tags=["consent"])
    def get(self, request, request_id):
        return _evidence_response(selectors.evidence_of_citizen_request(acting_citizen(request), request_id))


class GrantEvidenceView(APIView):
    """Citizens: download the signed access request a grant answered."""

    permission_classes = [IsCitizen]

    @extend_schema(responses=EVIDENCE_RESPONSES, tags=["consent"])
    def get(self, request, grant_id):
        return _evidence_response(selectors.evidence_of_citizen_grant(acting_citizen(request), grant_id))


class ConsentRecordsView(APIView):
    """Citizens: your consent records, each request with every change of its state, in the fields
    of ISO/IEC TS 27560 (docs/api.md, "Consent records (ISO/IEC TS 27560)")."""

    permission_classes = [IsCitizen]

    @extend_schema(
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="format, conformsTo, generatedAt, piiPrincipalId and records: one per request.",
            )
        },
        tags=["consent"],
    )
    def get(self, request):
        return Response(receipts.consent_records(acting_citizen(request)))
