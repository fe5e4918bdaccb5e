from django.contrib import admin
from django.core.paginator import Paginator
from django.utils.functional import cached_property

from core.admin import ReadOnlyAdmin

from .models import (
    AccessEvent,
    Batch,
    BatchRowError,
    Pod,
    PodCredential,
    PodDocument,
    PodErasure,
    PodExport,
    PodTombstone,
)


# Operators see metadata only: ciphertext and keys are not fields here at all.
@admin.register(Pod)
class PodAdmin(ReadOnlyAdmin):
    list_display = ("id", "owner", "kek_id", "created_at")
    fields = ("id", "owner", "holder_did", "kek_id", "created_at")
    search_fields = ("id", "owner__email")


@admin.register(PodCredential)
class PodCredentialAdmin(ReadOnlyAdmin):
    list_display = ("credential_type", "issuer", "pod", "created_at")
    fields = ("id", "pod", "credential_id", "credential_type", "issuer", "version", "created_at")
    list_filter = ("credential_type",)


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows: the log is the largest table (10^7 rows and more), and an exact
    COUNT(*) of it on every page view would read all of it. Past CAP, filter (by pod, action,
    outcome) to page further."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.CAP].count()  # type: ignore[attr-defined]  # a QuerySet here


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdmin):
    list_display = ("pod", "seq", "occurred_at", "action", "outcome", "actor_label", "reason")
    list_filter = ("action", "outcome")
    search_fields = ("=pod__id",)
    fields = [f.name for f in AccessEvent._meta.fields]
    # Newest first by the indexed id (ordering by seq across pods would sort the whole table).
    ordering = ("-id",)
    paginator = CappedCountPaginator
    show_full_result_count = False


class BatchRowErrorInline(admin.TabularInline):
    model = BatchRowError
    fields = ("line", "column", "code", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


# The sealed upload (national ids, claim values) is deliberately not registered.
@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    list_display = ("id", "issuer", "status", "total", "issued", "failed", "created_at", "finished_at")
    list_filter = ("status",)
    fields = (
        "id",
        "issuer",
        "status",
        "total",
        "processed",
        "issued",
        "failed",
        "failure_reason",
        "created_at",
        "started_at",
        "finished_at",
        "lease_expires_at",
    )
    inlines = [BatchRowErrorInline]


# Documents and exports: sizes, types and states; the sealed names and chunks are not fields.
@admin.register(PodDocument)
class PodDocumentAdmin(ReadOnlyAdmin):
    list_display = ("id", "pod", "document_type", "content_type", "size", "created_at")
    list_filter = ("document_type", "content_type")
    fields = (
        "id",
        "pod",
        "document_type",
        "content_type",
        "size",
        "chunk_count",
        "uploaded_by",
        "created_at",
    )
    search_fields = ("=pod__id",)


@admin.register(PodExport)
class PodExportAdmin(ReadOnlyAdmin):
    list_display = ("id", "pod", "status", "progress", "size", "created_at", "expires_at")
    list_filter = ("status",)
    fields = (
        "id",
        "pod",
        "status",
        "progress",
        "size",
        "failure_reason",
        "created_at",
        "finished_at",
        "expires_at",
    )


@admin.register(PodErasure)
class PodErasureAdmin(ReadOnlyAdmin):
    list_display = ("pod", "requested_at", "due_at")
    fields = ("pod", "requested_at", "due_at")


@admin.register(PodTombstone)
class PodTombstoneAdmin(ReadOnlyAdmin):
    list_display = ("pod_id", "requested_at", "erased_at", "log_size", "completed_at")
    fields = ("pod_id", "requested_at", "erased_at", "log_size", "final_checkpoint", "completed_at")
