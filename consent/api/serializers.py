from rest_framework import serializers

from core.serializers import StrictSerializer
from vault.api.serializers import RecipientSerializer
from vc.dataintegrity import CRYPTOSUITE
from vc.types import supported_type_names

from ..models import EXPIRED, AccessRequest, Grant, Purpose
from ..services import (
    CHALLENGE_MAX_LENGTH,
    CHALLENGE_MIN_LENGTH,
    DOMAIN_MAX_LENGTH,
    PRESENTATION_CRYPTOSUITES,
    PRESENTATION_OPTION_PATTERN,
)


class FileAccessRequestSerializer(StrictSerializer):
    citizen = RecipientSerializer()
    credentialTypes = serializers.ListField(
        child=serializers.CharField(max_length=100),
        min_length=1,
        max_length=20,
        help_text=f"Credential types asked for; supported: {', '.join(supported_type_names())}.",
    )
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    purposeDescription = serializers.CharField(
        max_length=500, help_text="In plain words, why you need it: shown to the citizen."
    )
    validUntil = serializers.DateTimeField(help_text="Until when you ask to read (at most 366 days).")


class AccessRequestSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(
        choices=[*AccessRequest.Status.values, EXPIRED], source="effective_status", read_only=True
    )
    credentialTypes = serializers.ListField(source="credential_types", child=serializers.CharField())
    purposeDescription = serializers.CharField(source="purpose_description")
    requester = serializers.CharField(source="requester.name")
    requesterId = serializers.UUIDField(source="requester.pk")
    validUntil = serializers.DateTimeField(source="requested_until")
    createdAt = serializers.DateTimeField(source="created_at")
    decidedAt = serializers.DateTimeField(
        source="decided_at", allow_null=True, help_text="null until decided."
    )
    denialReason = serializers.CharField(
        source="denial_reason", help_text="The citizen's reason, when they denied it and gave one."
    )
    grantId = serializers.SerializerMethodField()

    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "status",
            "requester",
            "requesterId",
            "credentialTypes",
            "purpose",
            "purposeDescription",
            "validUntil",
            "createdAt",
            "decidedAt",
            "denialReason",
            "grantId",
        ]

    def get_grantId(self, request: AccessRequest) -> str | None:
        grant = getattr(request, "grant", None) if request.status == AccessRequest.Status.APPROVED else None
        return str(grant.pk) if grant else None


class ApproveSerializer(StrictSerializer):
    credentialTypes = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        min_length=1,
        help_text="Narrow to some of the requested types (default: all of them).",
    )
    validUntil = serializers.DateTimeField(
        required=False, help_text="End the grant earlier than asked (default: as asked)."
    )


class DenySerializer(StrictSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RevokeSerializer(StrictSerializer):
    """Revoking takes no parameters: the body may be absent or ``{}``."""


class GrantSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(
        choices=[*Grant.Status.values, EXPIRED], source="effective_status", read_only=True
    )
    requestId = serializers.UUIDField(source="request_id")
    grantee = serializers.CharField(source="grantee.name")
    credentialTypes = serializers.ListField(source="credential_types", child=serializers.CharField())
    validFrom = serializers.DateTimeField(source="valid_from")
    validUntil = serializers.DateTimeField(source="valid_until")
    revokedAt = serializers.DateTimeField(
        source="revoked_at", allow_null=True, help_text="null until revoked."
    )

    class Meta:
        model = Grant
        fields = [
            "id",
            "requestId",
            "status",
            "grantee",
            "credentialTypes",
            "purpose",
            "validFrom",
            "validUntil",
            "revokedAt",
        ]


class ReadQuerySerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(
        choices=Purpose.choices,
        help_text="The purpose of this read; it must be the grant's purpose.",
    )
    type = serializers.CharField(required=False, max_length=100, help_text="Read only this credential type.")
    challenge = serializers.RegexField(
        PRESENTATION_OPTION_PATTERN,
        min_length=CHALLENGE_MIN_LENGTH,
        max_length=CHALLENGE_MAX_LENGTH,
        trim_whitespace=False,
        error_messages={"invalid": "Use visible ASCII characters, without spaces."},
        help_text=(
            "A fresh random nonce of yours (visible ASCII, no spaces): the presentation is signed "
            "over it, so check it when you verify and never reuse it."
        ),
    )
    domain = serializers.RegexField(
        PRESENTATION_OPTION_PATTERN,
        max_length=DOMAIN_MAX_LENGTH,
        trim_whitespace=False,
        error_messages={"invalid": "Use visible ASCII characters, without spaces."},
        help_text="Who you are, e.g. your origin (https://hr.example.com): the presentation is bound to it.",
    )
    cryptosuite = serializers.ChoiceField(
        choices=list(PRESENTATION_CRYPTOSUITES),
        default=CRYPTOSUITE,
        help_text=(
            f"The Data Integrity cryptosuite of the holder's proof on the presentation (default "
            f"{CRYPTOSUITE}; eddsa-jcs-2022 signs the JSON as sent, without RDF canonicalization)."
        ),
    )


class PresentationResultSerializer(serializers.Serializer):
    verifiablePresentation = serializers.JSONField(
        help_text=(
            "A VC Data Model 2.0 verifiable presentation: the credentials with their original "
            "proofs, signed by the citizen's holder key (eddsa-rdfc-2022, proof purpose "
            "authentication) over your challenge and domain."
        )
    )
