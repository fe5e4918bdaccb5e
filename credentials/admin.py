from django.contrib import admin, messages

from accounts.models import Organisation

from .models import IssuerKey
from .services import create_issuer_key


@admin.register(IssuerKey)
class IssuerKeyAdmin(admin.ModelAdmin):
    """Public key material only: the sealed private key is never shown."""

    list_display = ("organisation", "did", "kek_id", "created_at", "retired_at")
    list_filter = ("retired_at",)
    search_fields = ("did", "organisation__name")
    fields = ("organisation", "did", "public_key_multibase", "kek_id", "created_at", "retired_at")
    readonly_fields = fields
    actions = ["rotate"]

    def has_add_permission(self, request):
        return False  # keys are generated with the action below or `manage.py onboard_organisation`

    def has_delete_permission(self, request, obj=None):
        return False  # a deleted key would make every credential it signed unverifiable

    @admin.action(description="Generate a new signing key for these organisations (retires the old one)")
    def rotate(self, request, queryset):
        organisations = Organisation.objects.filter(signing_keys__in=queryset).distinct()
        for organisation in organisations:
            key = create_issuer_key(organisation=organisation)
            messages.success(request, f"{organisation}: new key {key.did}")
