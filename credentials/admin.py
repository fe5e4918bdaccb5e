from django.contrib import admin, messages

from accounts.admin import OrganisationAdmin
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


class IssuerKeyInline(admin.TabularInline):
    model = IssuerKey
    fields = ("did", "kek_id", "created_at", "retired_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


admin.site.unregister(Organisation)


@admin.register(Organisation)
class IssuingOrganisationAdmin(OrganisationAdmin):
    """Organisations, plus what credentials adds for issuers: their signing keys."""

    inlines = [*OrganisationAdmin.inlines, IssuerKeyInline]
    actions = ["generate_signing_key"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if (
            obj.kind == Organisation.Kind.ISSUER
            and not obj.signing_keys.filter(retired_at__isnull=True).exists()
        ):
            key = create_issuer_key(organisation=obj)
            messages.success(request, f"{obj}: signing key {key.did}")

    @admin.action(description="Generate a new signing key (issuers; retires the current one)")
    def generate_signing_key(self, request, queryset):
        for organisation in queryset:
            if organisation.kind != Organisation.Kind.ISSUER:
                messages.warning(request, f"{organisation} is not an issuer; it holds no signing key.")
                continue
            key = create_issuer_key(organisation=organisation)
            messages.success(request, f"{organisation}: new signing key {key.did}")
