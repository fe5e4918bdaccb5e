from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import AccessRequest, Grant

# Decisions belong to the citizen; deleting a request or grant would erase a consent record
# without a trace in the pod's log.


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdmin):
    list_display = ("id", "requester", "purpose", "status", "created_at", "decided_at")
    list_filter = ("status", "purpose")
    readonly_fields = [f.name for f in AccessRequest._meta.fields]


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "grantee",
        "purpose",
        "status",
        "valid_from",
        "valid_until",
        "reads_used",
        "max_reads",
    )
    list_filter = ("status", "purpose")
    readonly_fields = [f.name for f in Grant._meta.fields]
