from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Operators see that a citizen was told something, and whether the mail went out; never pod data."""

    list_display = ("kind", "recipient", "actor_label", "created_at", "read_at", "mailed_at")
    list_filter = ("kind",)
    readonly_fields = [field.name for field in Notification._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
