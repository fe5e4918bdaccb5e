import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import StrictSerializer, refuse_unknown_parameters
from vault.api.serializers import DocumentSerializer, RecipientSerializer
from vault.documents import DOCUMENT_TYPES
from vc.types import supported_type_names

from ..models import AccessRequest, Grant, Purpose
from ..scopes import DETAIL_TYPES, Scope, ScopeErrors, parse_authorization_details
from ..selectors import evidence_by_request, evidence_for_request
from ..services import (
    CASE_REFERENCE_MAX_LENGTH,
    CHALLENGE_MAX_LENGTH,
    CHALLENGE_MIN_LENGTH,
    DOMAIN_MAX_LENGTH,
    MAX_LEGAL_READ_CITIZENS,
    MAX_POINTER_LENGTH,
    MAX_READ_CLAIMS,
    MAX_READS,
    PRESENTATION_CRYPTOSUITE,
    PRESENTATION_CRYPTOSUITES,
    PRESENTATION_OPTION_PATTERN,
)
from ..signing import REQUEST_CONTEXT


class AuthorizationDetailSerializer(serializers.Serializer):
    """One entry of ``authorizationDetails`` (the shape of RFC 9396 ``authorization_details``):
    a credential type (``type`` credential, ``credentialType``, optional ``claims``) or a
    document type (``type`` document, ``documentType``; no claims: a document is shared whole)."""

    type = serializers.ChoiceField(
        choices=list(DETAIL_TYPES),
        help_text="'credential' (with credentialType) or 'document' (with documentType).",
    )
    credentialType = serializers.ChoiceField(
        choices=supported_type_names(),
        required=False,
        help_text="In a credential entry: one entry per credential type.",
    )
    documentType = serializers.ChoiceField(
        choices=sorted(DOCUMENT_TYPES),
        required=False,
        help_text=(
            "In a document entry: a type of personal document (GET /api/v1/document-types), one "
            "entry per type; the grantee may download the citizen's documents of that type whole."
        ),
    )
    claims = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        min_length=1,
        help_text=(
            "JSON pointers into the credential of the claims needed: /credentialSubject followed "
            "by a claim's pointer as /api/v1/credential-types lists it for the type, spelled "
            "exactly so (e.g. /credentialSubject/degree/name). Leave out for the whole credential. "
            "Never in a document entry."
        ),
    )


@extend_schema_field(AuthorizationDetailSerializer(many=True))
class AuthorizationDetailsField(serializers.Field):
    """Per credential type, the claims asked for; every problem is a 400 naming where it is."""

    def to_internal_value(self, data: Any) -> Scope:
        try:
            return parse_authorization_details(data, where="")
        except ScopeErrors as exc:
            raise serializers.ValidationError(exc.nested()) from None

    def to_representation(self, value: Scope) -> list[dict[str, Any]]:
        return value.authorization_details()


class ScopeBodySerializer(StrictSerializer):
    """A body that gives credential types, or authorization details, not both."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "credentialTypes" in attrs and "authorizationDetails" in attrs:
            raise serializers.ValidationError(
                {"authorizationDetails": ["Give credentialTypes or authorizationDetails, not both."]}
            )
        return attrs


class FileAccessRequestSerializer(ScopeBodySerializer):
    citizen = RecipientSerializer()
    credentialTypes = serializers.ListField(
        child=serializers.CharField(max_length=100),
        min_length=1,
        max_length=20,
        required=False,
        help_text=(
            f"Credential types asked for whole; supported: {', '.join(supported_type_names())}. "
            "Give this or authorizationDetails."
        ),
    )
    authorizationDetails = AuthorizationDetailsField(
        required=False,
        help_text=(
            "What is asked for, per credential type: the whole credential, or only some of its "
            "claims (field scopes, docs/api.md). Give this or credentialTypes."
        ),
    )
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    purposeDescription = serializers.CharField(
        max_length=500, help_text="In plain words, why you need it: shown to the citizen."
    )
    validUntil = serializers.DateTimeField(help_text="Until when you ask to read (at most 366 days).")
    answerBy = serializers.DateTimeField(
        required=False,
        help_text=(
            "Until when the citizen may answer; unanswered by then, the request expires. Default: "
            "14 days from now (ACCESS_REQUEST_ANSWER_DAYS), or validUntil if sooner."
        ),
    )
    maxReads = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_READS,
        help_text="At most this many reads under the grant (default: no limit). The citizen may lower it.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if "credentialTypes" not in attrs and "authorizationDetails" not in attrs:
            raise serializers.ValidationError(
                {"credentialTypes": ["Give credentialTypes or authorizationDetails."]}
            )
        return attrs


class SignedFileAccessRequestSerializer(FileAccessRequestSerializer):
    """An access request, signed by its requester (docs/api.md, "Signed access requests"): the
    body above with ``@context``, ``nonce`` and an eddsa-jcs-2022 ``proof``. Required when the
    service runs with ACCESS_REQUESTS_REQUIRE_SIGNATURE (production)."""

    nonce = serializers.CharField(
        required=False,
        min_length=16,
        max_length=128,
        help_text="A new random value for every request (16-128 of A-Z a-z 0-9 . _ ~ -): accepted once.",
    )
    proof = serializers.DictField(
        required=False,
        help_text=(
            "One DataIntegrityProof, cryptosuite eddsa-jcs-2022, proofPurpose assertionMethod, "
            "created now, verificationMethod a did:key your organisation registered "
            "(/api/v1/organisation/request-keys), over the body with @context and nonce."
        ),
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["@context"] = serializers.ListField(
            child=serializers.CharField(),
            required=False,
            help_text=f'Exactly ["{REQUEST_CONTEXT}"] in a signed request.',
        )
        return fields


class RequestEvidenceSerializer(serializers.Serializer):
    """The signed request kept for an access request (null: filed unsigned)."""

    sha256 = serializers.CharField(source="digest", help_text="SHA-256 (hex) of the request as received.")
    signer = serializers.SerializerMethodField(
        help_text="'organisation': a key it registered and holds; 'custodial': its custodial key "
        "signed the request as submitted through the web console."
    )
    verificationMethod = serializers.CharField(source="verification_method")
    signedAt = serializers.DateTimeField(source="signed_at")
    receivedAt = serializers.DateTimeField(source="received_at")

    def get_signer(self, evidence: Any) -> str:
        return "custodial" if evidence.custodial else "organisation"


class AccessRequestListSerializer(serializers.ListSerializer):
    """Many requests: their evidence is read in one query, not one per request."""

    def to_representation(self, data: Any) -> list[Any]:
        items = list(data.all() if hasattr(data, "all") else data)
        setattr(self.child, "evidence_kept", evidence_by_request(item.pk for item in items))  # noqa: B010
        return super().to_representation(items)


class AccessRequestSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(
        choices=AccessRequest.Status.values, source="effective_status", read_only=True
    )
    credentialTypes = serializers.ListField(source="credential_types", child=serializers.CharField())
    purposeDescription = serializers.CharField(source="purpose_description")
    requester = serializers.CharField(source="requester.name")
    requesterId = serializers.UUIDField(source="requester.pk")
    validUntil = serializers.DateTimeField(source="requested_until")
    answerBy = serializers.DateTimeField(
        source="answer_by", help_text="Unanswered by then, the request expires."
    )
    maxReads = serializers.IntegerField(
        source="max_reads", allow_null=True, help_text="The read limit asked for; null: none."
    )
    createdAt = serializers.DateTimeField(source="created_at")
    decidedAt = serializers.DateTimeField(
        source="decided_at",
        allow_null=True,
        help_text="When it left pending (approved, denied, withdrawn or expired); null until then.",
    )
    denialReason = serializers.CharField(
        source="denial_reason", help_text="The citizen's reason, when they denied it and gave one."
    )
    grantId = serializers.SerializerMethodField()
    evidence = serializers.SerializerMethodField(
        help_text="The signed request kept as evidence (download it at .../evidence); null if unsigned."
    )
    authorizationDetails = AuthorizationDetailsField(
        source="scope",
        read_only=True,
        help_text="What was asked for, per credential type: claims (JSON pointers), or the whole credential.",
    )

    class Meta:
        model = AccessRequest
        list_serializer_class = AccessRequestListSerializer
        fields = [
            "id",
            "status",
            "requester",
            "requesterId",
            "credentialTypes",
            "authorizationDetails",
            "purpose",
            "purposeDescription",
            "validUntil",
            "answerBy",
            "maxReads",
            "createdAt",
            "decidedAt",
            "denialReason",
            "grantId",
            "evidence",
        ]

    @extend_schema_field(RequestEvidenceSerializer(allow_null=True))
    def get_evidence(self, request: AccessRequest) -> dict[str, Any] | None:
        kept = getattr(self, "evidence_kept", None)
        found = kept.get(request.pk) if kept is not None else evidence_for_request(request.pk)
        return RequestEvidenceSerializer(found).data if found else None

    def get_grantId(self, request: AccessRequest) -> str | None:
        grant = getattr(request, "grant", None) if request.status == AccessRequest.Status.APPROVED else None
        return str(grant.pk) if grant else None


class ApproveSerializer(ScopeBodySerializer):
    credentialTypes = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        min_length=1,
        help_text=(
            "Narrow to some of the requested types (default: all of them), each with the claims asked for."
        ),
    )
    authorizationDetails = AuthorizationDetailsField(
        required=False,
        help_text=(
            "Narrow to some of the requested types and claims: per type, claims among those asked "
            "for (a type asked for whole may be narrowed to any of its requestable claims); an "
            "entry without claims gives the whole credential, which only a type asked for whole may."
        ),
    )
    validUntil = serializers.DateTimeField(
        required=False, help_text="End the grant earlier than asked (default: as asked)."
    )
    maxReads = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_READS,
        help_text="Allow fewer reads than asked, or limit a request that asked for no limit.",
    )


class DenySerializer(StrictSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RevokeSerializer(StrictSerializer):
    """Revoking takes no parameters: the body may be absent or ``{}``."""


class WithdrawSerializer(StrictSerializer):
    """Withdrawing takes no parameters: the body may be absent or ``{}``."""


class ReadLimitSerializer(StrictSerializer):
    maxReads = serializers.IntegerField(
        min_value=1,
        max_value=MAX_READS,
        help_text=(
            "The new read limit: lower than the current one (any, when there is none), and no "
            "lower than the reads already made. Equal to them, the grant ends (exhausted)."
        ),
    )


class GrantSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=Grant.Status.values, source="effective_status", read_only=True)
    requestId = serializers.UUIDField(source="request_id")
    grantee = serializers.CharField(source="grantee.name")
    credentialTypes = serializers.ListField(source="credential_types", child=serializers.CharField())
    validFrom = serializers.DateTimeField(source="valid_from")
    validUntil = serializers.DateTimeField(source="valid_until")
    revokedAt = serializers.DateTimeField(
        source="revoked_at", allow_null=True, help_text="null until revoked."
    )
    authorizationDetails = AuthorizationDetailsField(
        source="scope",
        read_only=True,
        help_text=(
            "Exactly what a read shares, per credential type: only these claims (JSON pointers, "
            "with the issuer's mandatory ones), or, without claims, the whole credential."
        ),
    )
    endedAt = serializers.DateTimeField(
        source="ended_at",
        allow_null=True,
        help_text=(
            "When it stopped being active (revoked, withdrawn, exhausted, or expiry recorded); null "
            "while active. A grant past validUntil is expired even before this is set."
        ),
    )
    maxReads = serializers.IntegerField(
        source="max_reads", allow_null=True, help_text="Reads allowed in all; null: no limit."
    )
    readsUsed = serializers.IntegerField(source="reads_used", help_text="Reads made so far.")
    accessGrantCredential = serializers.SerializerMethodField(
        help_text=(
            "The grant as a verifiable credential signed by this service (AccessGrantCredential, "
            "docs/api.md): who may read what, for which purpose, until when, how many times, and "
            "from whom (a pseudonym). Its revocation bit is set when the grant ends, in the same "
            "transaction. Null for grants approved before the service issued them."
        )
    )

    class Meta:
        model = Grant
        fields = [
            "id",
            "requestId",
            "status",
            "grantee",
            "credentialTypes",
            "authorizationDetails",
            "purpose",
            "validFrom",
            "validUntil",
            "revokedAt",
            "endedAt",
            "maxReads",
            "readsUsed",
            "accessGrantCredential",
        ]

    @extend_schema_field({"type": "object", "nullable": True, "additionalProperties": True})
    def get_accessGrantCredential(self, grant: Grant) -> dict[str, Any] | None:
        held = getattr(grant, "credential", None)
        return held.document if held is not None else None


@extend_schema_field({"type": "string", "enum": list(Purpose.values)})
class PurposeParameter(serializers.CharField):
    """A purpose as the requester sent it: the consent engine, not the parser, refuses an
    unknown one, so that the attempt is logged in the citizen's pod."""


class ReadQuerySerializer(serializers.Serializer):
    purpose = PurposeParameter(
        max_length=100,
        help_text=(
            "The purpose of this read; it must be the grant's purpose. An unknown one is a 400 "
            "(unknown-purpose), logged in the citizen's pod as a denied attempt."
        ),
    )
    type = serializers.CharField(
        required=False,
        max_length=100,
        help_text=(
            "Read only this credential type. One this service does not know is a 422 "
            "(unknown-credential-type), logged in the citizen's pod as a denied attempt."
        ),
    )
    claim = serializers.ListField(
        child=serializers.CharField(max_length=MAX_POINTER_LENGTH, trim_whitespace=False),
        required=False,
        min_length=1,
        max_length=MAX_READ_CLAIMS,
        help_text=(
            "Read only these claims of the type named by `type` (repeat the parameter): JSON "
            "pointers, each one the grant allows, spelled as it lists them. The credential comes "
            "derived (ecdsa-sd-2023), holding only them and the issuer's mandatory claims."
        ),
    )
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
        default=PRESENTATION_CRYPTOSUITE,
        help_text=(
            f"The Data Integrity cryptosuite of the holder's proof on the presentation (default "
            f"{PRESENTATION_CRYPTOSUITE}, which signs the JSON canonicalized with JCS; "
            "eddsa-rdfc-2022 canonicalizes it as RDF first, at a cost that grows with the "
            "credentials presented)."
        ),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "claim" in attrs and "type" not in attrs:
            raise serializers.ValidationError({"type": ["Name the credential type the claims are of."]})
        if "claim" in attrs and len(set(attrs["claim"])) != len(attrs["claim"]):
            raise serializers.ValidationError({"claim": ["A claim is named twice."]})
        return attrs


_VISIBLE_ASCII = re.compile(PRESENTATION_OPTION_PATTERN)


def _one_value(params: Any, name: str) -> str | None:
    """The parameter's value when it is given once; None when it is not given; raises _Slow
    when it is given more than once (the serializer takes the last: it says what it makes of it)."""
    values = params.getlist(name)
    if len(values) > 1:
        raise _Slow
    return values[0] if values else None


class _Slow(Exception):
    """The query is not plainly valid: ReadQuerySerializer reads it (and names what is wrong)."""


def _plain_text(value: Any, max_length: int) -> bool:
    """What ReadQuerySerializer's CharFields keep as they are: ASCII, nothing to trim, not blank,
    no NUL, within max_length (surrogates are not ASCII)."""
    return (
        isinstance(value, str)
        and value.isascii()
        and 0 < len(value) <= max_length
        and value == value.strip()
        and "\x00" not in value
    )


def _plainly_valid_read(params: Any) -> dict[str, Any] | None:
    """The read's parameters as ReadQuerySerializer validates them, for a query it would take as
    it is; None for any other (claims, a repeated parameter, a value it would trim or refuse)."""
    if not hasattr(params, "getlist") or "claim" in params:
        return None
    try:
        purpose, credential_type = _one_value(params, "purpose"), _one_value(params, "type")
        challenge, domain = _one_value(params, "challenge"), _one_value(params, "domain")
        cryptosuite = _one_value(params, "cryptosuite")
    except _Slow:
        return None
    if not _plain_text(purpose, 100) or (
        credential_type is not None and not _plain_text(credential_type, 100)
    ):
        return None
    if not (
        isinstance(challenge, str)
        and CHALLENGE_MIN_LENGTH <= len(challenge) <= CHALLENGE_MAX_LENGTH
        and _VISIBLE_ASCII.match(challenge)
    ):
        return None
    if not (isinstance(domain, str) and len(domain) <= DOMAIN_MAX_LENGTH and _VISIBLE_ASCII.match(domain)):
        return None
    if cryptosuite is not None and cryptosuite not in PRESENTATION_CRYPTOSUITES:
        return None
    validated: dict[str, Any] = {"purpose": purpose}
    if credential_type is not None:
        validated["type"] = credential_type
    validated.update(challenge=challenge, domain=domain, cryptosuite=cryptosuite or PRESENTATION_CRYPTOSUITE)
    return validated


# ReadQuerySerializer's fields: the only query parameters a read takes (a test holds them equal).
READ_PARAMETERS = frozenset({"purpose", "type", "claim", "challenge", "domain", "cryptosuite"})


def read_query(params: Any) -> dict[str, Any]:
    """The read's query parameters, validated as ReadQuerySerializer validates them: the same
    values, the same errors; a parameter it does not declare is refused first, by name (a 400:
    a misspelt ``chalenge`` or ``claims`` must not be read as a read without it).

    DRF deep-copies a serializer's declared fields for every instance it makes (a quarter of a
    millisecond for these seven, on every read); a query of one value per parameter that the
    serializer would take as it is (docs/benchmarks.md) is read here without it, and any other
    goes to the serializer, which names what is wrong. Raises rest_framework's ValidationError.
    """
    refuse_unknown_parameters(params, READ_PARAMETERS)
    validated = _plainly_valid_read(params)
    if validated is not None:
        return validated
    query = ReadQuerySerializer(data=params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


class DocumentReadQuerySerializer(serializers.Serializer):
    purpose = PurposeParameter(
        max_length=100,
        help_text=(
            "The purpose of this read; it must be the grant's purpose. An unknown one is a 400 "
            "(unknown-purpose), logged in the citizen's pod as a denied attempt."
        ),
    )


class GrantDocumentsSerializer(serializers.Serializer):
    documents = DocumentSerializer(
        many=True,
        help_text=(
            "The citizen's documents of the types the grant covers, newest first: metadata only "
            "(download one for its name and content)."
        ),
    )


class PresentationResultSerializer(serializers.Serializer):
    verifiablePresentation = serializers.JSONField(
        help_text=(
            "A VC Data Model 2.0 verifiable presentation: the credentials with their original "
            "proofs, signed by the citizen's holder key (eddsa-jcs-2022 unless you asked for "
            "eddsa-rdfc-2022; proof purpose authentication) over your challenge and domain."
        )
    )


class LegalReadSerializer(StrictSerializer):
    """A read under a mandate: the mandate, the case, one citizen or many, and how to present."""

    mandate = serializers.UUIDField(help_text="The id of your agency's mandate (given by the operator).")
    caseReference = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        trim_whitespace=False,
        help_text=(
            f"Required: the reference of the case file this read is for, 1 to {CASE_REFERENCE_MAX_LENGTH} "
            "letters, digits, spaces and ./_:#()- . Missing or malformed, the read is refused (400 "
            "case-reference-missing) and logged as a denied attempt in each citizen's pod."
        ),
    )
    citizen = RecipientSerializer(required=False, help_text="One citizen (or give citizens).")
    citizens = serializers.ListField(
        child=RecipientSerializer(),
        required=False,
        min_length=1,
        max_length=MAX_LEGAL_READ_CITIZENS,
        help_text=(
            f"A bulk read: 1 to {MAX_LEGAL_READ_CITIZENS} citizens, each read and logged in their own pod."
        ),
    )
    type = serializers.CharField(
        required=False,
        max_length=100,
        help_text=(
            "Read only this credential type (default: every type of the mandate). One outside the "
            "mandate is a 403 (out-of-mandate), logged."
        ),
    )
    claims = serializers.ListField(
        child=serializers.CharField(max_length=MAX_POINTER_LENGTH, trim_whitespace=False),
        required=False,
        min_length=1,
        max_length=MAX_READ_CLAIMS,
        help_text=(
            "Read only these claims of `type`: JSON pointers the mandate lists for it, spelled as "
            "it lists them (compared as strings). Any other is a 403 (field-out-of-mandate), logged."
        ),
    )
    challenge = serializers.RegexField(
        PRESENTATION_OPTION_PATTERN,
        min_length=CHALLENGE_MIN_LENGTH,
        max_length=CHALLENGE_MAX_LENGTH,
        trim_whitespace=False,
        error_messages={"invalid": "Use visible ASCII characters, without spaces."},
        help_text="A fresh random nonce of yours: each presentation is signed over it.",
    )
    domain = serializers.RegexField(
        PRESENTATION_OPTION_PATTERN,
        max_length=DOMAIN_MAX_LENGTH,
        trim_whitespace=False,
        error_messages={"invalid": "Use visible ASCII characters, without spaces."},
        help_text="Who you are (your origin): each presentation is bound to it.",
    )
    cryptosuite = serializers.ChoiceField(
        choices=list(PRESENTATION_CRYPTOSUITES),
        default=PRESENTATION_CRYPTOSUITE,
        help_text="The cryptosuite of the holder's proof on each presentation.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("citizen" in attrs) == ("citizens" in attrs):
            raise serializers.ValidationError({"citizens": ["Give citizen (one) or citizens (a bulk read)."]})
        if "claims" in attrs and "type" not in attrs:
            raise serializers.ValidationError({"type": ["Name the credential type the claims are of."]})
        if "claims" in attrs and len(set(attrs["claims"])) != len(attrs["claims"]):
            raise serializers.ValidationError({"claims": ["A claim is named twice."]})
        ids = [c["nationalId"] for c in attrs.get("citizens", [])]
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError({"citizens": ["A citizen is named twice."]})
        return attrs


class LegalReadResultSerializer(serializers.Serializer):
    nationalId = serializers.CharField(help_text="The citizen, as you named them.")
    outcome = serializers.ChoiceField(choices=["read", "denied"])
    verifiablePresentation = serializers.JSONField(
        allow_null=True,
        help_text="The citizen's credentials within the mandate, signed by their holder key; null if denied.",
    )
    reason = serializers.CharField(help_text="Why this citizen's read was denied ('' when read).")
    detail = serializers.CharField(help_text="The denial in words ('' when read).")
    sealedUntil = serializers.DateTimeField(
        allow_null=True,
        help_text=(
            "Until when the citizen's log shows the read sealed (the mandate's disclosure delay); "
            "null: open at once."
        ),
    )


class LegalReadResponseSerializer(serializers.Serializer):
    mandate = serializers.UUIDField()
    caseReference = serializers.CharField()
    results = LegalReadResultSerializer(many=True, help_text="One per citizen, in the order you named them.")
