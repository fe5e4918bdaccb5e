from django.contrib import admin

from .models import AccessRequest, Grant


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "requester", "purpose", "status", "created_at", "decided_at")
    list_filter = ("status", "purpose")
    readonly_fields = [f.name for f in AccessRequest._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # decisions belong to the citizen

    def has_delete_permission(self, request, obj=None):
        return False  # deleting would erase a consent record without a trace in the pod's log


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ("id", "grantee", "purpose", "status", "valid_from", "valid_until")
    list_filter = ("status", "purpose")
    readonly_fields = [f.name for f in Grant._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
