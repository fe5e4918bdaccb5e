from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import AccessEvent, Batch, BatchRowError, Pod, PodCredential


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


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdmin):
    list_display = ("pod", "seq", "occurred_at", "action", "outcome", "actor_label", "reason")
    list_filter = ("action", "outcome")
    fields = [f.name for f in AccessEvent._meta.fields]


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
