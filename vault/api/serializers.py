import base64
import datetime
import uuid
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from core.serializers import StrictSerializer
from credentials.services import ISSUANCE_CRYPTOSUITES, WHOLE_CRYPTOSUITES
from vc.dataintegrity import CRYPTOSUITE

from .. import logkeys, sealing
from ..evidence import requests_with_evidence
from ..models import AccessEvent, Batch, BatchRowError


class RecipientSerializer(StrictSerializer):
    nationalId = serializers.CharField(
        max_length=64,
        help_text="The citizen's national identifier as COUNTRY:NUMBER, e.g. BE:85073003328.",
    )


class IssuerApiOptionsSerializer(StrictSerializer):
    cryptosuite = serializers.ChoiceField(
        choices=list(ISSUANCE_CRYPTOSUITES),
        default=CRYPTOSUITE,
        help_text=(
            f"The cryptosuite of the proof the credential is read whole with: one of "
            f"{list(WHOLE_CRYPTOSUITES)} (default {CRYPTOSUITE}). An ecdsa-sd-2023 base proof is "
            "always added beside it, so ecdsa-sd-2023 itself is refused here with the reason."
        ),
    )


class IssueCredentialSerializer(StrictSerializer):
    recipient = RecipientSerializer()
    credential = serializers.JSONField(
        help_text=(
            "An unsigned VC Data Model 2.0 credential. The service sets issuer, id, validFrom "
            "and credentialSubject.id (the citizen's holder DID), then signs it."
        )
    )
    options = IssuerApiOptionsSerializer(required=False)

    def validate_credential(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return value


class HeldCredentialSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="resource.pk")
    credentialId = serializers.CharField(source="resource.credential_id")
    type = serializers.CharField(source="resource.credential_type")
    issuer = serializers.CharField(source="resource.issuer.name")
    storedAt = serializers.DateTimeField(source="resource.created_at")
    credential = serializers.JSONField(source="document")


def _plainly_held(resource: Any, document: Any) -> dict[str, Any] | None:
    """One credential as HeldCredentialSerializer renders it, for values it would render as they
    are: a UUID id, plain str texts, an aware datetime (ISO 8601 in the current time zone, UTC
    as Z, as DRF's DateTimeField writes it); None for anything else."""
    pk, credential_id, credential_type = resource.pk, resource.credential_id, resource.credential_type
    issuer, created = resource.issuer, resource.created_at
    if not (
        type(pk) is uuid.UUID
        and type(credential_id) is str
        and type(credential_type) is str
        and issuer is not None
        and type(issuer.name) is str
        and type(created) is datetime.datetime
        and timezone.is_aware(created)
        and settings.USE_TZ
        and api_settings.DATETIME_FORMAT == ISO_8601
    ):
        return None
    try:
        stored = created.astimezone(timezone.get_current_timezone()).isoformat()
    except OverflowError:  # DRF refuses it with its own error
        return None
    if stored.endswith("+00:00"):
        stored = stored[:-6] + "Z"
    return {
        "id": str(pk),
        "credentialId": credential_id,
        "type": credential_type,
        "issuer": issuer.name,
        "storedAt": stored,
        "credential": document,
    }


def held_credentials(pairs: Any) -> list[dict[str, Any]]:
    """The citizen's credentials, each (resource, document) pair rendered exactly as
    HeldCredentialSerializer renders it (tests/vault/test_held_rendering.py).

    The serializer deep-copies its six fields per instance and walks each through DRF's
    attribute and representation steps: about a quarter of a millisecond for three credentials
    on every own read (docs/benchmarks.md). A credential whose values it would write as they
    are is rendered here; any other goes to the serializer.
    """
    return [
        _plainly_held(resource, document)
        or HeldCredentialSerializer(SimpleNamespace(resource=resource, document=document)).data
        for resource, document in pairs
    ]


class PodSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    holderDid = serializers.CharField(source="holder_did")
    createdAt = serializers.DateTimeField(source="created_at")
    credentialCount = serializers.IntegerField(source="credential_count")


class AccessEventListSerializer(serializers.ListSerializer):
    """Many entries: which of their requests have evidence is read in one query."""

    def to_representation(self, data: Any) -> list[Any]:
        items = list(data.all() if hasattr(data, "all") else data)
        setattr(self.child, "evidence_kept", requests_with_evidence({item.request_id for item in items}))  # noqa: B010
        return super().to_representation(items)


class AccessEventSerializer(serializers.ModelSerializer):
    at = serializers.DateTimeField(source="occurred_at")
    actor = serializers.SerializerMethodField()
    legalBasis = serializers.CharField(source="legal_basis")
    grantId = serializers.UUIDField(source="grant_id", allow_null=True)
    requestId = serializers.UUIDField(source="request_id", allow_null=True)
    credentialId = serializers.CharField(source="credential_id")
    credentialType = serializers.CharField(source="credential_type")
    prevHash = serializers.CharField(source="prev_hash")
    hash = serializers.CharField(source="entry_hash")
    # Declared fields leave the class attributes (DRF's metaclass), so this shadows nothing.
    fields = serializers.ListField(  # type: ignore[assignment]
        child=serializers.CharField(),
        help_text=(
            "A read narrowed to some fields: their JSON pointers (never their values); empty when "
            "whole credentials were read, or nothing was."
        ),
    )

    legal = serializers.SerializerMethodField(
        help_text=(
            "A read under an agency's mandate (else null): mandate, reference (the law's URL), "
            "title and case (the agency's case reference); or, for a sealed entry, sealedUntil, "
            "digest (SHA-256 of the detail's RFC 8785 bytes, which the entry's hash covers) and "
            "detail: null until sealedUntil, then the opened detail (salt, legal, purpose, "
            "credentialType, credentialId, fields...), which hashes to digest."
        )
    )
    evidence = serializers.SerializerMethodField(
        help_text=(
            "Where the citizen downloads the signed access request this entry follows from (its "
            "request, or the request its grant answered); null when there is none (unsigned)."
        )
    )

    class Meta:
        model = AccessEvent
        list_serializer_class = AccessEventListSerializer
        fields = [
            "seq",
            "at",
            "action",
            "outcome",
            "actor",
            "purpose",
            "legalBasis",
            "grantId",
            "requestId",
            "credentialId",
            "credentialType",
            "reason",
            "fields",
            "legal",
            "evidence",
            "prevHash",
            "hash",
        ]

    @extend_schema_field({"type": "object", "nullable": True, "additionalProperties": True})
    def get_legal(self, event: AccessEvent) -> dict | None:
        if not event.legal:
            return None
        if not sealing.is_sealed(event):
            return dict(event.legal)
        return {
            **event.legal,
            "detail": sealing.opened_detail(event, self.context.get("sealed_details") or {}),
        }

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_evidence(self, event: AccessEvent) -> str | None:
        kept = getattr(self, "evidence_kept", None)
        if kept is None:
            kept = requests_with_evidence({event.request_id})
        if event.request_id not in kept:
            return None
        return reverse("request-evidence", kwargs={"request_id": event.request_id})

    def get_actor(self, event: AccessEvent) -> dict:
        return {
            "kind": event.actor_kind,
            "name": event.actor_label,
            "organisationId": str(event.actor_organisation_id) if event.actor_organisation_id else None,
        }


class CheckpointSerializer(serializers.Serializer):
    """A signed checkpoint of the pod's log (C2SP tlog-checkpoint): keep it; it proves, later and
    offline, what the log held at ``treeSize`` entries."""

    note = serializers.CharField(help_text="The signed note, verbatim: what the offline verifier reads.")
    origin = serializers.CharField(source="checkpoint.origin")
    treeSize = serializers.IntegerField(source="checkpoint.size")
    rootHash = serializers.SerializerMethodField(help_text="RFC 9162 root hash, base64.")
    time = serializers.CharField(source="checkpoint.time")

    def get_rootHash(self, latest) -> str:
        return base64.b64encode(latest.checkpoint.root).decode()


class AccessLogPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = AccessEventSerializer(many=True)
    checkpoint = CheckpointSerializer(allow_null=True)


class LogCheckSerializer(serializers.Serializer):
    """One check of the pod's whole log (vault.logcheck): the head it was asked for, its
    progress, and once done what it found. Hashes and counts, no pod data."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["queued", "running", "done"])
    progress = serializers.IntegerField(help_text="Percent of the entries checked.")
    checkedSize = serializers.IntegerField(
        source="size", help_text="Entries in the log when it was asked for."
    )
    checkedHeadHash = serializers.CharField(
        source="head_hash", help_text="The log's head (its last entry's hash) when it was asked for, hex."
    )
    stale = serializers.SerializerMethodField(help_text="The log has grown since this check was asked for.")
    requestedAt = serializers.DateTimeField(source="created_at")
    finishedAt = serializers.DateTimeField(source="finished_at", allow_null=True)
    valid = serializers.BooleanField(allow_null=True, help_text="null until done.")
    entries = serializers.IntegerField(help_text="Entries checked.")
    head = serializers.CharField(help_text="Hash of the last entry checked (once done).")
    firstBrokenSeq = serializers.IntegerField(source="first_broken_seq", allow_null=True)
    problem = serializers.CharField()
    rootHash = serializers.CharField(source="root", help_text="RFC 9162 root of the entries checked, hex.")

    def get_stale(self, check) -> bool:
        return (check.size, check.head_hash) != self.context["head"]


class LatestLogCheckSerializer(serializers.Serializer):
    """The latest finished check of the pod's whole log, flat (its fields are null before the
    first check finishes), whether the log has grown since, a newer check under way, and the
    log's latest signed checkpoint now."""

    checkId = serializers.UUIDField(source="result.pk", allow_null=True, default=None)
    valid = serializers.BooleanField(source="result.valid", allow_null=True, default=None)
    entries = serializers.IntegerField(source="result.entries", allow_null=True, default=None)
    head = serializers.CharField(
        source="result.head", allow_null=True, default=None, help_text="Hash of the last entry checked."
    )
    firstBrokenSeq = serializers.IntegerField(source="result.first_broken_seq", allow_null=True, default=None)
    problem = serializers.CharField(source="result.problem", allow_null=True, default=None)
    rootHash = serializers.CharField(
        source="result.root",
        allow_null=True,
        default=None,
        help_text="RFC 9162 root of the entries checked, hex.",
    )
    checkedSize = serializers.IntegerField(source="result.size", allow_null=True, default=None)
    checkedHeadHash = serializers.CharField(source="result.head_hash", allow_null=True, default=None)
    checkedAt = serializers.DateTimeField(source="result.finished_at", allow_null=True, default=None)
    stale = serializers.BooleanField(
        allow_null=True, help_text="The log has grown since the check (null before the first check)."
    )
    logSize = serializers.IntegerField(source="size", help_text="Entries in the log now.")
    working = serializers.SerializerMethodField()
    checkpoint = CheckpointSerializer(allow_null=True, source="latest")

    @extend_schema_field(LogCheckSerializer(allow_null=True))
    def get_working(self, state) -> dict | None:
        if state.working is None:
            return None
        return LogCheckSerializer(state.working, context={"head": (state.size, state.head_hash)}).data

    def to_representation(self, state):
        body = super().to_representation(state)
        if state.result is None:
            body["stale"] = None
        return body


class BatchRowErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = BatchRowError
        fields = ["line", "column", "code", "reason"]


class BatchSerializer(serializers.ModelSerializer):
    """A batch's progress: counts and timestamps (no row contents, ever)."""

    failureReason = serializers.CharField(source="failure_reason")
    failureCode = serializers.ChoiceField(
        source="failure_code",
        choices=["", *Batch.Failure.values],
        help_text="Why the batch failed as a whole, as a stable code (organisation-suspended, "
        "upload-unreadable, service-unavailable, internal-error); empty unless status is failed.",
    )
    createdAt = serializers.DateTimeField(source="created_at")
    startedAt = serializers.DateTimeField(source="started_at", allow_null=True)
    finishedAt = serializers.DateTimeField(source="finished_at", allow_null=True)

    class Meta:
        model = Batch
        fields = [
            "id",
            "status",
            "total",
            "processed",
            "issued",
            "failed",
            "failureReason",
            "failureCode",
            "createdAt",
            "startedAt",
            "finishedAt",
        ]


class BatchDetailSerializer(BatchSerializer):
    """A batch with ``errorCount``, its first per-line ``errors`` (line, column, a stable code and
    a reason; at most BATCH_ERRORS_SHOWN) and ``errorsUrl``, where all of them are paged."""

    errorCount = serializers.IntegerField(source="error_count")
    errorsUrl = serializers.SerializerMethodField()

    class Meta(BatchSerializer.Meta):
        fields = [*BatchSerializer.Meta.fields, "errorCount", "errorsUrl"]

    def get_fields(self):
        # Added here, not declared: a field attribute named "errors" would shadow Serializer.errors.
        fields = super().get_fields()
        fields["errors"] = BatchRowErrorSerializer(source="first_errors", many=True, read_only=True)
        return fields

    def get_errorsUrl(self, batch: Batch) -> str:
        return reverse("issuer-batch-errors", kwargs={"batch_id": batch.pk})


class BatchUploadSerializer(StrictSerializer):
    file = serializers.FileField(
        help_text="The CSV (UTF-8). Line 1 names the columns; see docs/api.md for them."
    )


class LogKeySerializer(serializers.Serializer):
    verifierKey = serializers.SerializerMethodField(
        help_text="C2SP signed-note verifier key: <name>+<key id hex>+<base64(0x01 || Ed25519 key)>."
    )
    name = serializers.CharField()
    algorithm = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    retiredAt = serializers.DateTimeField(source="retired_at", allow_null=True)

    def get_verifierKey(self, key) -> str:
        return str(logkeys.published(key.name, bytes(key.public_key)))

    def get_algorithm(self, key) -> str:
        return "Ed25519"


class LogKeysSerializer(serializers.Serializer):
    keys = LogKeySerializer(many=True)


def _b64(value: bytes | None) -> str | None:
    return base64.b64encode(value).decode() if value is not None else None


class InclusionQuerySerializer(serializers.Serializer):
    seq = serializers.IntegerField(min_value=1, help_text="The entry to prove.")
    treeSize = serializers.IntegerField(
        min_value=1, required=False, help_text="The tree to prove it in (default: the whole log)."
    )


class ConsistencyQuerySerializer(serializers.Serializer):
    fromSize = serializers.IntegerField(
        min_value=1, help_text="The size of the tree you hold a checkpoint of."
    )
    treeSize = serializers.IntegerField(min_value=1, required=False, help_text="Default: the whole log.")


class LogProofSerializer(serializers.Serializer):
    """An RFC 9162 proof; hashes in base64, as in checkpoints. ``checkpoint`` is the signed
    checkpoint of ``treeSize`` when that is the whole log (else null: use one you kept)."""

    treeSize = serializers.IntegerField(source="tree_size")
    rootHash = serializers.SerializerMethodField()
    proof = serializers.SerializerMethodField()
    seq = serializers.IntegerField(allow_null=True, help_text="Inclusion: the entry (leaf index + 1).")
    leafHash = serializers.SerializerMethodField()
    fromSize = serializers.IntegerField(source="old_size", allow_null=True)
    fromRootHash = serializers.SerializerMethodField()
    checkpoint = serializers.SerializerMethodField()

    def get_rootHash(self, proof) -> str:
        return _b64(proof.root) or ""

    def get_proof(self, proof) -> list[str]:
        return [_b64(node) or "" for node in proof.nodes]

    def get_leafHash(self, proof) -> str | None:
        return _b64(proof.leaf)

    def get_fromRootHash(self, proof) -> str | None:
        return _b64(proof.old_root)

    @extend_schema_field(CheckpointSerializer(allow_null=True))
    def get_checkpoint(self, proof) -> dict | None:
        latest = self.context.get("latest")
        if latest is None or latest.checkpoint.size != proof.tree_size:
            return None
        return CheckpointSerializer(latest).data


class DocumentSerializer(serializers.Serializer):
    """A document's metadata: never its name or content (download it for those)."""

    id = serializers.UUIDField()
    type = serializers.CharField(source="document_type")
    contentType = serializers.CharField(source="content_type")
    size = serializers.IntegerField()
    uploadedBy = serializers.CharField(source="uploaded_by")
    storedAt = serializers.DateTimeField(source="created_at")


class DocumentUploadQuerySerializer(StrictSerializer):
    type = serializers.CharField(
        help_text="The document type: cv, transcript or scan (GET /api/v1/document-types)."
    )
    name = serializers.CharField(
        required=False, max_length=200, help_text="The file name to keep (sealed like the content)."
    )


class DocumentTypeSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField(source="label")
    contentTypes = serializers.ListField(child=serializers.CharField(), source="content_types")


class ExportSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    progress = serializers.IntegerField(help_text="Percent done.")
    size = serializers.IntegerField(help_text="Bytes of the sealed archive, once ready.")
    requestedAt = serializers.DateTimeField(source="created_at")
    finishedAt = serializers.DateTimeField(source="finished_at", allow_null=True)
    expiresAt = serializers.DateTimeField(source="expires_at")
    download = serializers.SerializerMethodField()

    def get_download(self, export) -> str | None:
        if export.status != "ready":
            return None
        return reverse("pod-export-archive", kwargs={"export_id": export.pk})


class ErasureSerializer(serializers.Serializer):
    requestedAt = serializers.DateTimeField(source="requested_at")
    dueAt = serializers.DateTimeField(
        source="due_at", help_text="When the pod is erased for good; until then DELETE cancels."
    )


class ImportResultSerializer(serializers.Serializer):
    pod = serializers.UUIDField()
    origin = serializers.CharField(help_text="The access log the archive came from (its checkpoint origin).")
    holderDid = serializers.CharField()
    credentials = serializers.IntegerField()
    documents = serializers.IntegerField()
    signedRequestsChecked = serializers.IntegerField(
        help_text=(
            "Signed access requests in the archive, each verified; not kept here (they are the "
            "evidence of requests to the instance the archive came from: docs/api.md)."
        )
    )
