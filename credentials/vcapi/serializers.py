"""Request and response bodies of the VC API endpoints, named as VCALM names them.

Options are strict: an option we do not know is refused (VCALM ``UNKNOWN_OPTION_PROVIDED``)
rather than ignored, so a caller never believes we honoured something we did not.
"""

from typing import Any

from rest_framework import serializers

from core.serializers import StrictBooleanField, StrictSerializer
from vc.dataintegrity import CRYPTOSUITE

from ..errors import UnsupportedOption
from ..models import MAX_STATUS_NOTE_CHARS, StatusReason
from ..services import ISSUANCE_CRYPTOSUITES, MAX_MANDATORY_POINTERS, SD_CRYPTOSUITE


class _StrictOptions(serializers.Serializer):
    """An options object: unknown members are refused by name."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise UnsupportedOption(
                    f"Unknown option(s) {unknown}; this endpoint accepts {sorted(self.fields)}.",
                    option=unknown[0],
                    supported=sorted(self.fields),
                )
        return super().to_internal_value(data)


class IssueStatusOptionSerializer(_StrictOptions):
    type = serializers.ChoiceField(choices=["BitstringStatusListEntry"])


class IssueOptionsSerializer(_StrictOptions):
    cryptosuite = serializers.CharField(
        required=False,
        help_text=(
            f"One of {list(ISSUANCE_CRYPTOSUITES)}; default {CRYPTOSUITE}. eddsa-* proofs are made "
            "with the issuer's Ed25519 key, ecdsa-* ones with its P-256 key; ecdsa-sd-2023 makes a "
            "base proof, for the holder to derive selective disclosures from. Another value is a "
            "400 naming it."
        ),
    )
    mandatoryPointers = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        max_length=MAX_MANDATORY_POINTERS,
        help_text=(
            f"With cryptosuite {SD_CRYPTOSUITE} only: JSON Pointers to what every disclosure must "
            "show. Default: /issuer, /type, /validFrom, /validUntil, /credentialStatus, "
            "/credentialSubject/id and the claim's type, those the credential has."
        ),
    )
    created = serializers.CharField(
        required=False, help_text="The proof's `created` (XML Schema dateTimeStamp); default now."
    )
    credentialId = serializers.CharField(
        required=False, help_text="A URI naming a credential that has no `id` (VCALM)."
    )
    credentialStatus = IssueStatusOptionSerializer(
        required=False,
        help_text="Add revocation and suspension BitstringStatusListEntry entries (CCG VC API option).",
    )


class IssueRequestSerializer(StrictSerializer):
    credential = serializers.DictField(help_text="The unsigned credential (VCDM 2.0, or 1.1).")
    options = IssueOptionsSerializer(required=False)


class IssueResponseSerializer(serializers.Serializer):
    verifiableCredential = serializers.DictField()


class VerifyCredentialOptionsSerializer(_StrictOptions):
    checks = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Accepted for compatibility with the CCG VC API; every check always runs.",
    )
    challenge = serializers.CharField(required=False, help_text="Every proof must carry this challenge.")
    domain = serializers.CharField(required=False, help_text="Every proof must carry this domain.")
    returnResults = StrictBooleanField(required=False, default=False)
    returnProblemDetails = StrictBooleanField(required=False, default=False)
    returnCredential = StrictBooleanField(required=False, default=False)


class VerifyCredentialRequestSerializer(StrictSerializer):
    verifiableCredential = serializers.DictField()
    options = VerifyCredentialOptionsSerializer(required=False)


class VerifyPresentationOptionsSerializer(_StrictOptions):
    checks = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Accepted for compatibility with the CCG VC API; every check always runs.",
    )
    challenge = serializers.CharField(required=False, help_text="The presentation proof's challenge.")
    domain = serializers.CharField(required=False, help_text="The presentation proof's domain.")
    returnPresentation = StrictBooleanField(required=False, default=False)
    returnProblemDetails = StrictBooleanField(required=False, default=False)


class VerifyPresentationRequestSerializer(StrictSerializer):
    verifiablePresentation = serializers.DictField()
    options = VerifyPresentationOptionsSerializer(required=False)


class ProblemDetailsSerializer(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()


class VerificationResultSerializer(serializers.Serializer):
    """VCALM's verification response: ``verified`` is false exactly when ``errors`` is not empty."""

    verified = serializers.BooleanField()
    checks = serializers.ListField(child=serializers.CharField(), help_text="The checks that ran.")
    warnings = ProblemDetailsSerializer(many=True, help_text="Validity period, status, trust.")
    # The metaclass moves declared fields aside, so Serializer.errors is not shadowed at runtime.
    errors = ProblemDetailsSerializer(many=True, help_text="Proof, data model, contexts.")  # type: ignore[assignment]
    problemDetails = ProblemDetailsSerializer(many=True, required=False)
    credential = serializers.DictField(required=False)


class PresentationVerificationResultSerializer(VerificationResultSerializer):
    credentialResults = VerificationResultSerializer(many=True, required=False)
    verifiablePresentation = serializers.DictField(required=False)


class StatusEntrySerializer(StrictSerializer):
    type = serializers.ChoiceField(
        choices=["BitstringStatusListEntry", "BitstringStatusList"],
        help_text="The status mechanism; both VCALM spellings are accepted.",
    )
    statusPurpose = serializers.CharField(help_text="revocation or suspension")
    id = serializers.CharField(required=False)
    statusListIndex = serializers.CharField(required=False)
    statusListCredential = serializers.CharField(required=False)


class _OneOrMany(serializers.ListField):
    """VCALM shows ``credentialStatus`` as one object; a list of them is accepted too."""

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(data if isinstance(data, list) else [data])


class UpdateStatusRequestSerializer(StrictSerializer):
    credentialId = serializers.CharField(
        help_text="The credential's id (or the credentialId it was issued with)."
    )
    credentialStatus = _OneOrMany(child=StatusEntrySerializer(), min_length=1, max_length=2)
    status = StrictBooleanField(help_text="true sets the status (revoked / suspended), false clears it.")
    reason = serializers.ChoiceField(
        choices=StatusReason.choices,
        required=False,
        help_text=(
            "Optional: why, as a code. Kept with the status and logged in the holder's pod, where the "
            "citizen reads it in words."
        ),
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_STATUS_NOTE_CHARS,
        help_text=(
            f"Optional: a few words for the holder, plain text (no control or invisible characters), "
            f"at most {MAX_STATUS_NOTE_CHARS} characters; shown to the citizen with their credential."
        ),
    )


class UpdateStatusResponseSerializer(serializers.Serializer):
    credentialId = serializers.CharField()
    credentialStatus = StatusEntrySerializer(many=True)
    status = serializers.BooleanField()
    reason = serializers.ChoiceField(choices=StatusReason.choices, required=False)
    note = serializers.CharField(required=False)
