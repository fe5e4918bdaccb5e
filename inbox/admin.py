from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Operators see that a citizen was told something and whether its mail went out (an empty
    mailed_at is a mail still failing); never pod data, which a notification does not hold."""

    list_display = ("kind", "recipient", "actor_label", "created_at", "read_at", "mailed_at")
    list_filter = ("kind",)
    readonly_fields = [field.name for field in Notification._meta.fields]
