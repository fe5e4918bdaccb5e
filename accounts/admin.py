from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .errors import InvalidRequestKey
from .models import ApiToken, Membership, OAuthClient, Organisation, RequestSigningKey, User
from .oauth import register_oauth_client, revoke_oauth_client
from .portal.forms import ThrottledAdminAuthenticationForm
from .requestkeys import canonical_verification_method
from .scopes import SCOPES, InvalidClientScope, clean_client_scopes
from .services import issue_api_token, revoke_api_token

admin.site.login_form = ThrottledAdminAuthenticationForm


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "is_citizen", "is_staff", "is_active")
    readonly_fields = ("is_citizen",)

    def has_change_permission(self, request, obj=None):
        # An operator who could set a citizen's password could log in as them and read the pod.
        # Citizens manage their own credentials (in production through the identity provider).
        if obj is not None and obj.is_citizen:
            return False
        return super().has_change_permission(request, obj)

    @admin.display(boolean=True, description=gettext_lazy("citizen"))
    def is_citizen(self, obj: User) -> bool:
        return obj.is_citizen


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "slug", "is_active", "created_at")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are generated here, shown once in a message, and stored only as a digest."""

    list_display = (
        "__str__",
        "name",
        "organisation",
        "user",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    fields = ("name", "organisation", "user", "expires_at", "prefix", "last_used_at", "revoked_at")
    readonly_fields = ("user", "prefix", "last_used_at", "revoked_at")
    autocomplete_fields = ("organisation",)
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        # Operators issue tokens to organisations only: a token for a citizen would let the
        # operator read that citizen's pod as if they were its owner.
        if obj is None:
            return ("name", "organisation", "expires_at")
        return self.fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            form.base_fields["organisation"].required = True
        return form

    def has_change_permission(self, request, obj=None):
        return False  # a token is issued, used and revoked (the action below); never edited

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        row, token = issue_api_token(organisation=obj.organisation, name=obj.name, expires_at=obj.expires_at)
        obj.pk, obj.prefix = row.pk, row.prefix
        obj._state.adding = False
        messages.warning(
            request, _("New API token (copy it now, it is never shown again): %(token)s") % {"token": token}
        )

    @admin.action(description=gettext_lazy("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            revoke_api_token(token=token)
        count = queryset.count()
        messages.success(
            request,
            ngettext("Revoked %(count)d token.", "Revoked %(count)d tokens.", count) % {"count": count},
        )


class OAuthClientForm(forms.ModelForm):
    """Registration: a name, the organisation and its scopes; the id and secret are generated."""

    scopes = forms.MultipleChoiceField(
        choices=[(name, format_lazy("{}: {}", name, scope.label)) for name, scope in SCOPES.items()],
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "What tokens of this client may do. Issuers: issue and status; requesters: grants."
        ),
    )

    class Meta:
        model = OAuthClient
        fields = ("name", "organisation")

    def clean(self):
        cleaned = super().clean() or {}
        organisation = cleaned.get("organisation")
        if organisation is not None and cleaned.get("scopes"):
            try:
                clean_client_scopes(organisation, cleaned["scopes"])
            except InvalidClientScope as exc:
                self.add_error("scopes", exc.detail)
        return cleaned


class OAuthClientAdmin(admin.ModelAdmin):
    """Clients are registered here; the secret is shown once in a message, and only its hash kept.

    django-oauth-toolkit registers it for the application model (OAUTH2_PROVIDER
    ``APPLICATION_ADMIN_CLASS``), in place of its own admin, which would let an operator
    choose grant types, redirect URIs and an unhashed secret.
    """

    list_display = ("client_id", "name", "organisation", "scope", "created", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("client_id", "name", "organisation__name")
    fields = ("client_id", "name", "organisation", "scope", "created", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = OAuthClientForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "organisation", "scopes")
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return False  # a client is registered, used and revoked (the action below); never edited

    def save_model(self, request, obj, form, change):
        client, secret = register_oauth_client(
            organisation=form.cleaned_data["organisation"],
            scopes=form.cleaned_data["scopes"],
            name=form.cleaned_data["name"],
        )
        obj.pk, obj.client_id = client.pk, client.client_id
        obj._state.adding = False
        messages.warning(
            request,
            _("New OAuth client %(client)s. Copy its secret now, it is never shown again: %(secret)s")
            % {"client": client.client_id, "secret": secret},
        )

    @admin.action(
        description=gettext_lazy("Revoke the selected clients (their access tokens stop working at once)")
    )
    def revoke(self, request, queryset):
        for client in queryset:
            revoke_oauth_client(client=client)
        count = queryset.count()
        messages.success(
            request,
            ngettext("Revoked %(count)d client.", "Revoked %(count)d clients.", count) % {"count": count},
        )


class RequestSigningKeyForm(forms.ModelForm):
    class Meta:
        model = RequestSigningKey
        fields = ("organisation", "verification_method")

    def clean_verification_method(self) -> str:
        try:
            return canonical_verification_method(self.cleaned_data["verification_method"])
        except InvalidRequestKey as exc:
            raise forms.ValidationError(exc.detail) from None


@admin.register(RequestSigningKey)
class RequestSigningKeyAdmin(admin.ModelAdmin):
    """An operator registers the did:key an organisation gave them (out of band, e.g. on paper at
    onboarding), or retires one. Custodial keys are made on first use; their private half is sealed
    and never shown. Keys are never deleted: old evidence names them."""

    form = RequestSigningKeyForm
    list_display = ("verification_method", "organisation", "custodial", "created_at", "retired_at")
    list_filter = ("custodial", "retired_at")
    search_fields = ("verification_method", "organisation__name")

    def get_readonly_fields(self, request, obj=None):
        return ("organisation", "verification_method", "custodial", "created_at") if obj else ()

    def get_fields(self, request, obj=None):
        return (
            ("organisation", "verification_method", "custodial", "created_at", "retired_at")
            if obj
            else (
                "organisation",
                "verification_method",
            )
        )

    def has_delete_permission(self, request, obj=None):
        return False
