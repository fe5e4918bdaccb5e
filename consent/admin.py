from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext

from core.admin import ReadOnlyAdmin

from .models import AccessRequest, Grant, Mandate, MandateEvent
from .services import end_mandate

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


class MandateEventInline(admin.TabularInline):
    model = MandateEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "operator_label", "snapshot")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Mandate)
class MandateAdmin(ReadOnlyAdmin):
    """Mandates (metadata only: no pod data is ever reached from here). Registered with
    ``manage.py register_mandate``; ended here (the action) or with ``manage.py end_mandate``;
    every change is in the audit trail below each mandate."""

    list_display = (
        "reference_title",
        "agency",
        "purpose",
        "disclosure_delay_days",
        "valid_from",
        "valid_until",
        "ended_at",
    )
    list_filter = ("agency", "purpose")
    search_fields = ("reference_title", "reference_url", "agency__name")
    readonly_fields = [f.name for f in Mandate._meta.fields]
    inlines = [MandateEventInline]
    actions = ["end_mandates"]

    @admin.action(description=gettext_lazy("End the selected mandates now (reads under them are refused)"))
    def end_mandates(self, request, queryset):
        ended = 0
        for mandate in queryset.filter(ended_at__isnull=True):
            end_mandate(mandate_id=mandate.pk, operator=request.user, reason="Ended in the admin.")
            ended += 1
        self.message_user(
            request,
            ngettext("%(count)d mandate ended.", "%(count)d mandates ended.", ended) % {"count": ended},
            messages.SUCCESS,
        )
