from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import AccessEvent, Pod, PodCredential


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
