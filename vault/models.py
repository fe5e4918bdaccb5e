import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, User


class PodQuerySet(models.QuerySet["Pod"]):
    def locked(self) -> "PodQuerySet":
        """The pods, locked until the transaction ends, FOR NO KEY UPDATE on PostgreSQL: the lock
        that orders the writers of one pod (issuance, a filing's evidence, uploads, imports,
        exports, erasure, data-key rotation) among themselves. Not FOR UPDATE: that one also
        blocks every insert that refers to the pod (its foreign key takes FOR KEY SHARE), a log
        entry's among them, and a transaction holding the log's head while it appends would wait
        for ours while we wait for its head: a deadlock (found between the lifecycle sweep and an
        approval). Only a delete, or an update of a column under a full unique index, takes FOR
        UPDATE: the pod's writers change neither its id nor its owner, and Pod.holder_did, which an
        import changes, is unique through a partial index for this reason."""
        return self.select_for_update(no_key=True)


class Pod(models.Model):
    """A citizen's pod. Its data key exists here only sealed under the KEK ring."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.OneToOneField(User, on_delete=models.PROTECT, related_name="pod")
    # Indexed: kek_usage and the start-up check group and count by it (vault.keyrotation).
    kek_id = models.CharField(max_length=64, db_index=True)
    data_key_sealed = models.BinaryField(editable=False)
    # The version of the data key above. Every ciphertext sealed under a pod's data key records
    # the version it was sealed under (``key_version``), so a data-key rotation can go in batches:
    # while one is in progress the previous key is kept below (wrapped like the current one), every
    # read opens a row with the key of the row's version, and the rotation's last batch drops the
    # previous key (vault.keyrotation).
    data_key_version = models.PositiveIntegerField(default=1, editable=False)
    previous_kek_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    previous_data_key_sealed = models.BinaryField(default=b"", editable=False)
    # The holder's did:key: the subject id of every credential issued into this pod. Its
    # private key is sealed under the pod's own data key.
    # Unique through a partial constraint (Meta), not unique=True: PostgreSQL takes FOR UPDATE, not
    # FOR NO KEY UPDATE, on a row whose update changes a column of a full unique index (one a
    # foreign key could use), and an import changes this column (PodQuerySet.locked says why
    # that lock must not be taken). A partial index is never such a key; it is as unique.
    holder_did = models.CharField(max_length=255)
    holder_key_sealed = models.BinaryField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the data key was made: by the pod's opening, or by the start of its last data-key
    # rotation (vault.keyrotation); `manage.py rotate_data_keys --before` resumes by it.
    data_key_created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = PodQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["holder_did"], condition=~Q(holder_did=""), name="pod_holder_did_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"pod {self.id}"


class PodCredential(models.Model):
    """A verifiable credential held in a pod, encrypted under the pod's data key.

    Only what the consent engine needs to match a request is kept in the clear: the type, the
    issuing organisation and the credential's opaque id.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pod = models.ForeignKey(Pod, on_delete=models.CASCADE, related_name="credentials")
    credential_id = models.CharField(max_length=255)
    credential_type = models.CharField(max_length=100)
    issuer = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="issued_credentials")
    version = models.PositiveIntegerField(default=1)
    ciphertext = models.BinaryField(editable=False)
    key_version = models.PositiveIntegerField(default=1, editable=False)  # Pod.data_key_version
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pod", "credential_id"], name="credential_id_unique_in_pod")
        ]
        indexes = [models.Index(fields=["pod", "credential_type"], name="podcredential_pod_type")]

    def __str__(self) -> str:
        return f"{self.credential_type} {self.credential_id}"


class AccessEvent(models.Model):
    """One entry in a pod's access log: a hash chain, appended in the transaction of the act."""

    class Action(models.TextChoices):
        POD_OPENED = "pod.opened", _("Pod opened")
        CREDENTIAL_ISSUED = "credential.issued", _("Credential issued into the pod")
        CREDENTIAL_READ = "credential.read", _("Credential read")
        ACCESS_DENIED = "access.denied", _("Access attempt denied")
        REQUEST_FILED = "request.filed", _("Access request filed")
        REQUEST_APPROVED = "request.approved", _("Access request approved (grant created)")
        REQUEST_DENIED = "request.denied", _("Access request denied")
        GRANT_REVOKED = "grant.revoked", _("Grant revoked")
        REQUEST_WITHDRAWN = "request.withdrawn", _("Access request withdrawn by the requester")
        REQUEST_EXPIRED = "request.expired", _("Access request expired unanswered")
        GRANT_WITHDRAWN = "grant.withdrawn", _("Grant withdrawn by the grantee")
        GRANT_EXPIRED = "grant.expired", _("Grant expired")
        GRANT_EXHAUSTED = "grant.exhausted", _("Grant's reads all used")
        GRANT_LIMIT_LOWERED = "grant.limit_lowered", _("Grant's read limit lowered")
        CREDENTIAL_REVOKED = "credential.revoked", _("Credential revoked by its issuer")
        CREDENTIAL_SUSPENDED = "credential.suspended", _("Credential suspended by its issuer")
        CREDENTIAL_REINSTATED = "credential.reinstated", _("Credential's suspension lifted by its issuer")
        LOG_EXPORTED = "log.exported", _("Access log downloaded")
        DOCUMENT_STORED = "document.stored", _("Document stored in the pod")
        DOCUMENT_READ = "document.read", _("Document downloaded")
        DOCUMENT_DELETED = "document.deleted", _("Document deleted")
        POD_EXPORTED = "pod.exported", _("Export of the whole pod requested")
        EXPORT_DOWNLOADED = "export.downloaded", _("Export of the whole pod downloaded")
        POD_IMPORTED = "pod.imported", _("Pod imported from another Citizen Vault")
        CREDENTIAL_IMPORTED = "credential.imported", _("Credential imported with the pod")
        ERASURE_REQUESTED = "erasure.requested", _("Erasure of the pod requested")
        ERASURE_CANCELLED = "erasure.cancelled", _("Erasure of the pod cancelled")
        POD_ERASED = "pod.erased", _("Pod erased: its key destroyed")
        DATA_KEY_ROTATED = "pod.rekeyed", _("Pod re-encrypted under a new data key")

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", _("Allowed")
        DENIED = "denied", _("Denied")

    class ActorKind(models.TextChoices):
        CITIZEN = "citizen", _("The citizen")
        ORGANISATION = "organisation", _("An organisation")
        SYSTEM = "system", _("Citizen Vault")

    # No index of its own: the primary key (pod_id, id) and the unique (pod_id, seq) both lead with
    # the pod, and a third index would only cost every append one more insertion.
    pod = models.ForeignKey(Pod, on_delete=models.PROTECT, related_name="access_events", db_index=False)
    seq = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField()
    action = models.CharField(max_length=32, choices=Action.choices)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    purpose = models.CharField(max_length=100, blank=True)
    legal_basis = models.CharField(max_length=200, blank=True)
    grant_id = models.UUIDField(null=True, blank=True)
    request_id = models.UUIDField(null=True, blank=True)
    resource_id = models.UUIDField(null=True, blank=True)
    credential_id = models.CharField(max_length=255, blank=True)
    credential_type = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=64, blank=True)
    # A read that released (or asked for) only some fields: their JSON pointers, never values.
    fields = models.JSONField(default=list, blank=True)
    # A read under an agency's mandate (vault.access.LegalRead): the mandate, its legal reference
    # and the case reference; or, for a sealed entry, only {"sealedUntil", "digest"} (vault.sealing).
    legal = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)
    # RFC 9162 leaf hash (hex) of the entry's canonical bytes: the pod's Merkle tree is built from
    # these. It outlives pruning, so the tree still proves the entry was there, and where.
    leaf_hash = models.CharField(max_length=64)
    # Set when the retention window removed the entry's detail (who, why, what): see accesslog.prune.
    pruned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # On PostgreSQL the table is partitioned by HASH(pod_id) and its primary key is
        # (pod_id, id) at the SQL level (migration 0010; docs/operations.md, "The access log").
        ordering = ["-seq"]
        indexes = [
            # The retention sweep's question: which entries still hold detail, oldest first?
            models.Index(
                fields=["occurred_at"], condition=Q(pruned_at__isnull=True), name="accessevent_unpruned_age"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["pod", "seq"], name="access_log_seq_unique_per_pod"),
            models.CheckConstraint(
                condition=Q(outcome__in=["allowed", "denied"]), name="access_event_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.outcome} by {self.actor_label}"

    @property
    def shown_outcome(self) -> tuple[str, str]:
        """(badge, words) for the citizen's log. The citizen's own decisions read as what they
        decided ("Denied by you"), not as the outcome of the act of deciding ("Allowed")."""
        if self.actor_kind == self.ActorKind.CITIZEN:
            decided: dict[str, tuple[str, str]] = {
                self.Action.REQUEST_APPROVED: ("allowed", str(_("Approved by you"))),
                self.Action.REQUEST_DENIED: ("denied", str(_("Denied by you"))),
                self.Action.GRANT_REVOKED: ("denied", str(_("Revoked by you"))),
                self.Action.GRANT_LIMIT_LOWERED: ("denied", str(_("Limited by you"))),
            }
            if self.action in decided:
                return decided[self.action]
        # A request or grant that ended without the citizen: say how, not "Allowed".
        ended: dict[str, tuple[str, str]] = {
            self.Action.REQUEST_WITHDRAWN: ("denied", str(_("Withdrawn"))),
            self.Action.GRANT_WITHDRAWN: ("denied", str(_("Withdrawn"))),
            self.Action.REQUEST_EXPIRED: ("denied", str(_("Expired"))),
            self.Action.GRANT_EXPIRED: ("denied", str(_("Expired"))),
            self.Action.GRANT_EXHAUSTED: ("denied", str(_("All reads used"))),
        }
        if self.action in ended:
            return ended[self.action]
        return self.outcome, str(self.get_outcome_display())


class SealedLogDetail(models.Model):
    """The detail of a sealed log entry (a legal read under a mandate with a disclosure delay):
    sealed under the pod's data key until ``sealed_until``, then opened (``opened``, the same
    JSON whose digest the entry committed to). The entry itself, with the agency's name and the
    date, is in the log from the start: the citizen sees it at once, and what it hides opens by
    itself (vault.sealing.open_due, and every reader of the log opens what is due first)."""

    pod = models.ForeignKey(Pod, on_delete=models.CASCADE, related_name="sealed_log_details")
    seq = models.PositiveBigIntegerField()  # the entry's place in the pod's log
    sealed_until = models.DateTimeField()
    # vault.sealing: format 1 associated data (crypto.resource_aad), SEALED_DETAIL_KIND, resource = seq
    sealed = models.BinaryField()
    key_version = models.PositiveIntegerField(default=1, editable=False)  # Pod.data_key_version
    opened_at = models.DateTimeField(null=True, blank=True)
    opened = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pod", "seq"], name="sealed_detail_one_per_entry"),
            models.CheckConstraint(
                condition=Q(opened_at__isnull=True, opened__isnull=True)
                | Q(opened_at__isnull=False, opened__isnull=False),
                name="sealed_detail_opened_together",
            ),
        ]
        indexes = [
            # The opening task's question: which sealed entries are due?
            models.Index(
                fields=["sealed_until"], condition=Q(opened_at__isnull=True), name="sealed_detail_due"
            ),
        ]

    def __str__(self) -> str:
        return f"sealed entry #{self.seq} of pod {self.pod_id} until {self.sealed_until:%Y-%m-%d}"


class PodLog(models.Model):
    """The head of a pod's access log: its size, chain head, Merkle frontier and latest checkpoint.

    Appends lock this row (SELECT ... FOR UPDATE), so concurrent appends to one pod are ordered
    and never fork; an append reads no older entry: the frontier holds the roots of the perfect
    subtrees of the tree so far (vault.merkle), one per set bit of ``size``.
    """

    pod = models.OneToOneField(Pod, primary_key=True, on_delete=models.PROTECT, related_name="log_head")
    # The checkpoint origin of this pod's log, fixed when the log starts (a later change of host
    # name must not orphan the checkpoints a citizen saved).
    origin = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    head_hash = models.CharField(max_length=64)
    frontier = models.BinaryField(default=b"", editable=False)
    # The signed checkpoint (C2SP signed note) of the tree at ``size``.
    checkpoint = models.TextField(blank=True)
    # The tree size of the checkpoint last e-mailed to the citizen (vault.tasks.send_log_digest).
    digest_size = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"log of pod {self.pod_id} ({self.size} entries)"


class LogCheck(models.Model):
    """One recomputation of a pod's whole log (vault.logcheck), run by a Celery task.

    Keyed on the head it checked (``size`` and ``head_hash`` as PodLog had them when the check
    was asked for): a check of an unchanged head is shown again instead of recomputed; an append
    makes it stale. Asking again always recomputes (tampering does not move the head); a broken
    result stays the one shown until a newer check finishes. Holds hashes and counts, no pod data.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pod = models.ForeignKey(Pod, on_delete=models.CASCADE, related_name="log_checks")
    size = models.PositiveBigIntegerField()
    head_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    valid = models.BooleanField(null=True)
    entries = models.PositiveBigIntegerField(default=0)
    head = models.CharField(max_length=64, blank=True)  # the chain head the check recomputed
    first_broken_seq = models.PositiveBigIntegerField(null=True, blank=True)
    problem = models.CharField(max_length=200, blank=True)
    root = models.CharField(max_length=64, blank=True)
    checkpoint = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["pod", "-created_at"], name="logcheck_pod_newest")]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="logcheck_progress_le_100"),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done"]), name="logcheck_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"log check {self.id} of pod {self.pod_id} ({self.status})"


class LogSigningKey(models.Model):
    """An Ed25519 key the service signs log checkpoints with, sealed under the KEK ring.

    One key is active; rotation (``manage.py rotate_log_key``) retires it and makes another.
    Retired keys stay published (GET /.well-known/citizen-vault/log-keys): checkpoints they
    signed must still verify.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    public_key = models.BinaryField(editable=False)
    kek_id = models.CharField(max_length=64, db_index=True)
    private_key_sealed = models.BinaryField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=Q(retired_at__isnull=True), name="one_active_log_key_per_name"
            )
        ]

    def __str__(self) -> str:
        return f"log key {self.name} ({'retired' if self.retired_at else 'active'})"


class Batch(models.Model):
    """A CSV of credentials an issuer hands in at once, issued row by row by a Celery task.

    Holds counts and per-line errors only: national identifiers and claim values stay in the
    sealed upload (BatchUpload), which is deleted when the batch ends.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Failure(models.TextChoices):
        """Why a batch failed as a whole (its lines' refusals are BatchRowError); the console
        says each in a sentence (vault.portal.refusals.BATCH_FAILURES)."""

        SUSPENDED = "organisation-suspended", _("Organisation suspended")
        UNREADABLE = "upload-unreadable", _("Upload unreadable")
        UNAVAILABLE = "service-unavailable", _("Service unavailable")
        INTERNAL = "internal-error", _("Internal error")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    issuer = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="batches")
    # The registered type every row becomes (vc.types); it decides the CSV's columns.
    credential_type = models.CharField(max_length=100, default="DiplomaCredential")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField()
    # Rows handled so far (issued + failed): the task resumes after them if it runs again.
    processed = models.PositiveIntegerField(default=0)
    issued = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    failure_reason = models.CharField(max_length=200, blank=True)  # in English, for the API and logs
    # The same as a code (Failure), and the line it stopped at, for the console to say it in the
    # member's language; empty for a batch that did not fail, or failed before they were kept.
    failure_code = models.CharField(max_length=32, choices=Failure.choices, blank=True, default="")
    failure_line = models.PositiveIntegerField(null=True, blank=True)
    # A running task holds the batch until then; past it, a redelivered task may take over.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Drawn anew by each run that claims the batch: a run writes progress only while the token
    # is still its own, so a run that lost its lease to another cannot double anything.
    run_token = models.UUIDField(null=True, blank=True, editable=False)
    # When a task was last sent for it: the sweeper re-sends a batch left queued past this.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # Keyed HMAC-SHA256 of the uploaded bytes (never the bytes): the same file from the same
    # issuer while an earlier batch of it is live or done returns that batch.
    upload_digest = models.CharField(max_length=64, editable=False)
    # The client's Idempotency-Key header, if any: unique per issuer.
    idempotency_key = models.CharField(max_length=255, blank=True, editable=False)
    # The country of a national_id written without "COUNTRY:": "BE" for the console's uploads
    # (as its form takes them), empty for the API's, which require the prefix.
    default_country = models.CharField(max_length=2, blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["issuer", "-created_at"], name="batch_issuer_created"),
            # The sweeper's question: which unfinished batches have stalled?
            models.Index(
                fields=["status", "lease_expires_at"],
                condition=Q(status__in=["queued", "running"]),
                name="batch_unfinished",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "upload_digest"],
                condition=Q(status__in=["queued", "running", "done"]) & ~Q(upload_digest=""),
                name="batch_upload_once_per_issuer",
            ),
            models.UniqueConstraint(
                fields=["issuer", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="batch_idempotency_key_unique_per_issuer",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]), name="batch_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(processed=models.F("issued") + models.F("failed")),
                name="batch_processed_is_issued_plus_failed",
            ),
            models.CheckConstraint(
                condition=Q(processed__lte=models.F("total")), name="batch_processed_le_total"
            ),
        ]

    def __str__(self) -> str:
        return f"batch {self.id} ({self.status}, {self.processed}/{self.total})"


class BatchRowError(models.Model):
    """Why one line of a batch was not issued: its line number, the column (or credential path)
    at fault, and a reason that names the rule, never the value."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="row_errors")
    line = models.PositiveIntegerField()
    column = models.CharField(max_length=100, blank=True)
    code = models.CharField(max_length=64)
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["line", "id"]
        indexes = [models.Index(fields=["batch", "line"], name="batchrowerror_batch_line")]

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class BatchUpload(models.Model):
    """The uploaded CSV (it holds national ids and claim values), sealed under a data key of its
    own; only that 32-byte key is wrapped by the KEK ring (a KMS takes small payloads).

    The Celery message carries only the batch id; the task reads this row and deletes it when the
    batch ends.
    """

    batch = models.OneToOneField(Batch, primary_key=True, on_delete=models.CASCADE, related_name="upload")
    kek_id = models.CharField(max_length=64, db_index=True)
    data_key_sealed = models.BinaryField(editable=False)
    sealed = models.BinaryField(editable=False)

    def __str__(self) -> str:
        return f"upload of batch {self.batch_id}"


class PodDocument(models.Model):
    """A personal document in a pod (a CV, a transcript, a scan), sealed in chunks.

    In the clear: the registered type (vault.documents), the content type, the size and the chunk
    count, which the quota and the operator's metadata pages need. The file name is sealed like
    the content; the content is in DocumentChunk rows, each sealed under the pod's data key with
    associated data naming pod, document, version, chunk index and whether it is the last.
    """

    class Uploader(models.TextChoices):
        CITIZEN = "citizen", "The citizen"
        ORGANISATION = "organisation", "An organisation"
        IMPORT = "import", "Imported from an export"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pod = models.ForeignKey(Pod, on_delete=models.CASCADE, related_name="documents")
    document_type = models.CharField(max_length=50)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    chunk_count = models.PositiveIntegerField()
    version = models.PositiveIntegerField(default=1)
    name_sealed = models.BinaryField(editable=False)
    key_version = models.PositiveIntegerField(default=1, editable=False)  # of name_sealed
    uploaded_by = models.CharField(max_length=16, choices=Uploader.choices)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["pod", "-created_at"], name="poddocument_pod_created")]
        constraints = [
            models.CheckConstraint(condition=Q(chunk_count__gte=1), name="poddocument_has_a_chunk"),
        ]

    def __str__(self) -> str:
        return f"{self.document_type} {self.id} ({self.size} bytes)"


class DocumentChunk(models.Model):
    """One sealed chunk of a PodDocument (vault.crypto.seal_chunk)."""

    document = models.ForeignKey(PodDocument, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    sealed = models.BinaryField(editable=False)
    key_version = models.PositiveIntegerField(default=1, editable=False)  # Pod.data_key_version

    class Meta:
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint(fields=["document", "index"], name="documentchunk_index_unique"),
        ]

    def __str__(self) -> str:
        return f"chunk {self.index} of {self.document_id}"


class PodExport(models.Model):
    """An archive of a whole pod the citizen asked for: built by a Celery task, sealed in chunks
    under the pod's data key, downloadable by the owner until ``expires_at``."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pod = models.ForeignKey(Pod, on_delete=models.CASCADE, related_name="exports")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    size = models.PositiveBigIntegerField(default=0)
    chunk_count = models.PositiveIntegerField(default=0)
    failure_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="podexport_progress_le_100"),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "ready", "failed"]),
                name="podexport_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"export {self.id} ({self.status}, {self.progress}%)"


class ExportChunk(models.Model):
    """One sealed chunk of a PodExport's archive (vault.crypto.seal_chunk)."""

    export = models.ForeignKey(PodExport, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    sealed = models.BinaryField(editable=False)
    key_version = models.PositiveIntegerField(default=1, editable=False)  # Pod.data_key_version

    class Meta:
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint(fields=["export", "index"], name="exportchunk_index_unique"),
        ]

    def __str__(self) -> str:
        return f"chunk {self.index} of export {self.export_id}"


class PodErasure(models.Model):
    """A citizen's request to erase their pod, performed after ``due_at`` unless cancelled."""

    pod = models.OneToOneField(Pod, primary_key=True, on_delete=models.CASCADE, related_name="erasure")
    requested_at = models.DateTimeField()
    due_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["due_at"], name="poderasure_due")]

    def __str__(self) -> str:
        return f"erasure of pod {self.pod_id} due {self.due_at:%Y-%m-%d %H:%M}"


class PodTombstone(models.Model):
    """What is left of an erased pod: its id, when, and the final signed checkpoint of its log.

    Proves the erasure (and that the log ended where the checkpoint says) without content. Its
    existence is also what lets the database delete the pod's log entries (migration 0011).
    """

    pod_id = models.UUIDField(primary_key=True)
    requested_at = models.DateTimeField()
    erased_at = models.DateTimeField()
    log_size = models.PositiveBigIntegerField()
    final_checkpoint = models.TextField()
    # Set once every row of the pod is gone; until then the erasure is resumed where it stopped.
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"tombstone of pod {self.pod_id}"


class RequestEvidence(models.Model):
    """A signed access request, kept as its requester sent it: the citizen's evidence of who asked
    for what, for which purpose (consent.signing checks the proof before anything is kept).

    The bytes are sealed under the pod's data key (they name the citizen by national identifier,
    which this database otherwise holds only as a keyed hash): they join the pod's data-key
    rotation and die with the pod's key on erasure. A request filed to a national identifier
    with no pod yet is held (consent: AccessRequest without a pod): its evidence has no pod,
    its bytes wrapped by the KEK ring instead (``kek_id``, vault.evidence.store), until the
    citizen's pod opens and takes them (re-sealed under the pod's key, ``kek_id`` emptied), or
    the request ends unattached and they are dropped (``sealed`` emptied, the metadata kept
    for the requester's view of its own request). ``request_id`` is consent's AccessRequest (the
    vault does not import consent). One nonce per organisation, for ever: a replayed signed
    request meets the unique constraint, concurrent replays included.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # None while the request is held for a pod that does not exist yet (vault.evidence.store).
    pod = models.ForeignKey(
        Pod, null=True, blank=True, on_delete=models.CASCADE, related_name="request_evidence"
    )
    request_id = models.UUIDField(unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    nonce = models.CharField(max_length=128)
    # SHA-256 (hex) of the bytes as received: what the citizen's download must hash to.
    digest = models.CharField(max_length=64)
    sealed = models.BinaryField(editable=False)
    verification_method = models.CharField(max_length=200)
    # Signed by the organisation's custodial key (the console submitted it), not a key it holds.
    custodial = models.BooleanField(default=False)
    signed_at = models.DateTimeField()  # the proof's `created`
    key_version = models.PositiveIntegerField(default=1, editable=False)  # Pod.data_key_version
    # The KEK that wraps ``sealed`` while the evidence is held without a pod; "" once in a pod
    # (sealed under its data key) or dropped (``sealed`` empty).
    kek_id = models.CharField(max_length=64, blank=True, default="", editable=False, db_index=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "nonce"], name="request_evidence_nonce_once"),
        ]

    def __str__(self) -> str:
        return f"signed request {self.request_id} ({self.organisation_id})"
