"""The VC API (W3C VCALM) endpoints: issue, verify, verify presentations, update status.

Issue and status act for the issuer organisation whose API token (``Authorization: Bearer``,
an OAuth 2.0 bearer token in VCALM's terms) authenticates the call. The verify endpoints are
public, as VCALM allows, and throttled per client address.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiTokenAuthentication
from accounts.oauth import ISSUE_CREDENTIALS, UPDATE_CREDENTIAL_STATUS, HasScope
from accounts.permissions import IsIssuer
from accounts.principals import acting_organisation
from core.serializers import validated_body
from core.throttling import ScopedRateThrottle

from ..services import issue_credential, update_status
from . import results
from .serializers import (
    IssueRequestSerializer,
    IssueResponseSerializer,
    PresentationVerificationResultSerializer,
    UpdateStatusRequestSerializer,
    UpdateStatusResponseSerializer,
    VerificationResultSerializer,
    VerifyCredentialRequestSerializer,
    VerifyPresentationRequestSerializer,
)

TAGS = ["vc-api"]


class IssueCredentialView(APIView):
    """Sign a credential with the calling issuer's active key (``credential.issuer`` = its DID):
    one proof of ``options.cryptosuite`` (credentials.services.ISSUANCE_CRYPTOSUITES)."""

    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsIssuer, HasScope.of(ISSUE_CREDENTIALS)]

    @extend_schema(
        operation_id="vcapi_issue_credential",
        request=IssueRequestSerializer,
        responses={201: IssueResponseSerializer},
        tags=TAGS,
    )
    def post(self, request):
        data = validated_body(request, IssueRequestSerializer)
        options = data.get("options", {})
        signed, _ = issue_credential(
            organisation=acting_organisation(request),
            credential=data["credential"],
            with_status="credentialStatus" in options,
            allow_vcdm_1_1=True,
            cryptosuite=options.get("cryptosuite"),
            created=options.get("created"),
            credential_id=options.get("credentialId"),
            mandatory_pointers=options.get("mandatoryPointers"),
        )
        return Response({"verifiableCredential": signed}, status=status.HTTP_201_CREATED)


class _PublicVerifyView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]  # public by design (VCALM "Public" verifier); throttled instead
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "vc-api-verify"


class VerifyCredentialView(_PublicVerifyView):
    """Verify a credential: 200 with the result when it verifies, 422 problem+json when not."""

    @extend_schema(
        operation_id="vcapi_verify_credential",
        request=VerifyCredentialRequestSerializer,
        responses={200: VerificationResultSerializer},
        tags=TAGS,
    )
    def post(self, request):
        data = validated_body(request, VerifyCredentialRequestSerializer)
        options = data.get("options", {})
        body = results.credential_response(
            data["verifiableCredential"],
            challenge=options.get("challenge"),
            domain=options.get("domain"),
            return_credential=options.get("returnCredential", False),
            return_problem_details=options.get("returnProblemDetails", False),
        )
        return Response(body)


class VerifyPresentationView(_PublicVerifyView):
    """Verify a presentation and every credential in it: 200 when all verify, 422 when not."""

    @extend_schema(
        operation_id="vcapi_verify_presentation",
        request=VerifyPresentationRequestSerializer,
        responses={200: PresentationVerificationResultSerializer},
        tags=TAGS,
    )
    def post(self, request):
        data = validated_body(request, VerifyPresentationRequestSerializer)
        options = data.get("options", {})
        body = results.presentation_response(
            data["verifiablePresentation"],
            challenge=options.get("challenge"),
            domain=options.get("domain"),
            return_presentation=options.get("returnPresentation", False),
            return_problem_details=options.get("returnProblemDetails", False),
        )
        return Response(body)


class UpdateStatusView(APIView):
    """Revoke, suspend or reinstate a credential the calling issuer issued (Bitstring Status List)."""

    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsIssuer, HasScope.of(UPDATE_CREDENTIAL_STATUS)]

    @extend_schema(
        operation_id="vcapi_update_credential_status",
        request=UpdateStatusRequestSerializer,
        responses={200: UpdateStatusResponseSerializer},
        tags=TAGS,
    )
    def post(self, request):
        data = validated_body(request, UpdateStatusRequestSerializer)
        update_status(
            issuer=acting_organisation(request),
            credential_id=data["credentialId"],
            purposes=[entry["statusPurpose"] for entry in data["credentialStatus"]],
            value=data["status"],
            reason=data.get("reason", ""),
            note=data.get("note", ""),
        )
        return Response(
            {
                "credentialId": data["credentialId"],
                "credentialStatus": data["credentialStatus"],
                "status": data["status"],
                **{name: data[name] for name in ("reason", "note") if data.get(name)},
            }
        )
