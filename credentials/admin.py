from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin import OrganisationAdmin
from accounts.models import Organisation
from core.admin import ReadOnlyAdmin
from credentials.services import create_issuer_key, mark_key_compromised
from vc.dids import did_web_to_url
from vc.errors import VcError

from .errors import AccreditationInvalid
from .models import Accreditation, ExternalIssuerDid, HostedIssuerDid, IssuerKey, StatusEntry, StatusList
from .services import (
    accredit_issuer,
    amend_accreditation,
    check_accreditation,
    check_accreditation_period,
    host_issuer_did,
)
from .statuslist import status_list_url


def compromise_state(obj: IssuerKey) -> str:
    """Whether the key is reported compromised (when, and the note), else a link to report it."""
    if obj.compromised_at is not None:
        return format_html(
            "{} {}",
            _("reported %(moment)s:") % {"moment": obj.compromised_at.isoformat()},
            obj.compromise_note,
        )
    url = reverse("admin:credentials_issuerkey_compromised", args=[obj.pk])
    return format_html('{} (<a href="{}">{}</a>)', _("no"), url, _("mark as compromised…"))


class CompromiseForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=gettext_lazy("Who reported the compromise, when and how it was found (kept with the key)."),
    )


@admin.register(IssuerKey)
class IssuerKeyAdmin(admin.ModelAdmin):
    """Public key material only: the sealed private key is never shown."""

    list_display = ("organisation", "key_type", "did", "kek_id", "created_at", "retired_at", "compromised_at")
    list_filter = ("key_type", "retired_at", "compromised_at")
    search_fields = ("did", "organisation__name")
    fields = (
        "organisation",
        "key_type",
        "did",
        "public_key_multibase",
        "kek_id",
        "created_at",
        "retired_at",
        "compromise",
    )
    readonly_fields = fields
    actions = ["rotate", "mark_compromised"]

    @admin.display(description=gettext_lazy("compromised"))
    def compromise(self, obj: IssuerKey) -> str:
        return compromise_state(obj)

    def get_urls(self):
        view = self.admin_site.admin_view(self.mark_compromised_view)
        own = [path("<uuid:key_id>/compromised/", view, name="credentials_issuerkey_compromised")]
        return own + super().get_urls()

    def has_add_permission(self, request):
        return False  # keys are generated with the action below or `manage.py onboard_organisation`

    def has_delete_permission(self, request, obj=None):
        return False  # a deleted key would make every credential it signed unverifiable

    @admin.action(
        description=gettext_lazy("Generate new signing keys for these organisations (retires the old ones)")
    )
    def rotate(self, request, queryset):
        organisations = Organisation.objects.filter(signing_keys__in=queryset).distinct()
        for organisation in organisations:
            key = create_issuer_key(organisation=organisation)
            messages.success(
                request,
                _("%(organisation)s: new key %(did)s") % {"organisation": organisation, "did": key.did},
            )

    @admin.action(
        description=gettext_lazy("Mark as compromised (rotates an active key; nothing it signed is trusted)")
    )
    def mark_compromised(self, request: HttpRequest, queryset: QuerySet[IssuerKey]) -> HttpResponse | None:
        return self._confirm_compromise(request, list(queryset.select_related("organisation")), action=True)

    def mark_compromised_view(self, request: HttpRequest, key_id: str) -> HttpResponse:
        """One key, from its page or the organisation's key list: confirm, then mark it."""
        key = get_object_or_404(IssuerKey.objects.select_related("organisation"), pk=key_id)
        response = self._confirm_compromise(request, [key], action=False)
        if response is not None:
            return response
        return HttpResponseRedirect(reverse("admin:credentials_issuerkey_change", args=[key.pk]))

    def _confirm_compromise(
        self, request: HttpRequest, keys: list[IssuerKey], *, action: bool
    ) -> HttpResponse | None:
        """The confirmation page with its note until it is posted back confirmed; then mark each key."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = CompromiseForm(request.POST if request.POST.get("confirm") == "yes" else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Mark signing keys as compromised"),
                "keys": keys,
                "form": form,
                "action": "mark_compromised" if action else "",
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/credentials/issuerkey/mark_compromised.html", context)
        note = f"{form.cleaned_data['note']} (recorded by {request.user} in the admin)"
        for key in keys:
            if key.compromised_at is not None:
                messages.info(
                    request,
                    _("%(did)s was already reported compromised on %(moment)s.")
                    % {"did": key.did, "moment": key.compromised_at.isoformat()},
                )
                continue
            try:
                mark_key_compromised(key=key, note=note)
            except VcError as exc:
                messages.error(request, f"{key.did}: {exc.detail}")
                continue
            messages.warning(
                request,
                _("%(organisation)s: %(did)s is marked compromised; nothing it signed is trusted now.")
                % {"organisation": key.organisation, "did": key.did},
            )
        return None


class IssuerKeyInline(admin.TabularInline):
    """The organisation's keys and their state; marking one compromised asks for confirmation."""

    model = IssuerKey
    fields = ("key_type", "did", "kek_id", "created_at", "retired_at", "compromise")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("compromised"))
    def compromise(self, obj: IssuerKey) -> str:
        return compromise_state(obj)


class ExternalIssuerDidInline(admin.TabularInline):
    """DIDs the organisation signs with elsewhere; registered with `manage.py register_issuer_did`,
    which checks them."""

    model = ExternalIssuerDid
    fields = ("did", "notes", "registered_by", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class HostedIssuerDidInline(admin.TabularInline):
    """The did:web DID we host for the organisation (the admin action or `manage.py host_issuer_did`)."""

    model = HostedIssuerDid
    fields = ("did", "document_url", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("DID document"))
    def document_url(self, obj: HostedIssuerDid) -> str:
        return did_web_to_url(obj.did)


@admin.register(HostedIssuerDid)
class HostedIssuerDidAdmin(ReadOnlyAdmin):
    """Hosted did:web DIDs: permanent, since verifiers and trust registries know issuers by them."""

    list_display = ("organisation", "did", "document_url", "created_at")
    search_fields = ("did", "organisation__name", "organisation__slug")
    fields = ("organisation", "did", "document_url", "created_at")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("DID document"))
    def document_url(self, obj: HostedIssuerDid) -> str:
        return did_web_to_url(obj.did)


admin.site.unregister(Organisation)


@admin.register(Organisation)
class IssuingOrganisationAdmin(OrganisationAdmin):
    """Organisations, plus what credentials adds for issuers: their signing keys."""

    inlines = [*OrganisationAdmin.inlines, IssuerKeyInline, HostedIssuerDidInline, ExternalIssuerDidInline]

    def get_inlines(self, request, obj):
        # Registered and hosted DIDs are shown for an existing organisation; none exist while adding one.
        inlines = super().get_inlines(request, obj)
        if obj is not None:
            return inlines
        return [i for i in inlines if i not in (ExternalIssuerDidInline, HostedIssuerDidInline)]

    actions = ["generate_signing_key", "host_did_web"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if (
            obj.kind == Organisation.Kind.ISSUER
            and not obj.signing_keys.filter(retired_at__isnull=True).exists()
        ):
            key = create_issuer_key(organisation=obj)
            messages.success(
                request, _("%(organisation)s: signing key %(did)s") % {"organisation": obj, "did": key.did}
            )

    @admin.action(description=gettext_lazy("Generate new signing keys (issuers; retires the current ones)"))
    def generate_signing_key(self, request, queryset):
        for organisation in queryset:
            if organisation.kind != Organisation.Kind.ISSUER:
                messages.warning(
                    request,
                    _("%(organisation)s is not an issuer; it holds no signing key.")
                    % {"organisation": organisation},
                )
                continue
            key = create_issuer_key(organisation=organisation)
            messages.success(
                request,
                _("%(organisation)s: new signing key %(did)s")
                % {"organisation": organisation, "did": key.did},
            )

    @admin.action(description=gettext_lazy("Host a did:web DID (issuers; they then sign as it)"))
    def host_did_web(self, request, queryset):
        for organisation in queryset:
            try:
                hosted = host_issuer_did(organisation=organisation)
            except VcError as exc:
                messages.warning(request, f"{organisation}: {exc.detail}")
                continue
            messages.success(
                request,
                _("%(organisation)s signs as %(did)s") % {"organisation": organisation, "did": hosted.did},
            )


@admin.register(StatusList)
class StatusListAdmin(ReadOnlyAdmin):
    """Status lists change only through the issuer's revoke / suspend calls (statuslist.set_status)."""

    list_display = (
        "id",
        "organisation",
        "issuer_did",
        "status_purpose",
        "allocated",
        "size",
        "version",
        "updated_at",
    )
    list_filter = ("status_purpose",)
    search_fields = ("id", "organisation__name", "issuer_did", "issuer_key__did")
    fields = (
        "id",
        "public_url",
        "organisation",
        "issuer_did",
        "issuer_key",
        "status_purpose",
        "size",
        "allocated",
        "version",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("published at"))
    def public_url(self, obj: StatusList) -> str:
        return status_list_url(obj.id)


@admin.register(StatusEntry)
class StatusEntryAdmin(ReadOnlyAdmin):
    """Which credential holds which index: read-only, the allocation is random and final."""

    list_display = ("credential_id", "organisation", "status_purpose", "index", "created_at", "changed_at")
    list_filter = ("status_purpose",)
    search_fields = ("credential_id",)
    fields = (
        "credential_id",
        "organisation",
        "status_purpose",
        "status_list",
        "index",
        "created_at",
        "changed_at",
    )
    readonly_fields = fields


class AccreditationForm(forms.ModelForm):
    """Refuses what the trust registry's services refuse, with their reason next to the field it
    concerns; AccreditationAdmin.save_model then writes through those services."""

    class Meta:
        model = Accreditation
        fields = ("organisation", "credential_type", "valid_from", "valid_until", "notes")

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if self.errors:
            return cleaned
        try:
            if self.instance._state.adding:
                check_accreditation(
                    organisation=cleaned["organisation"],
                    credential_type=cleaned["credential_type"],
                    valid_from=cleaned["valid_from"],
                    valid_until=cleaned.get("valid_until"),
                )
            else:
                check_accreditation_period(
                    valid_from=self.instance.valid_from, valid_until=cleaned.get("valid_until")
                )
        except AccreditationInvalid as exc:
            field = exc.extra.get("field")
            # On its field, the refusal also spares the operator the database constraint's own message.
            self.add_error(field if field in self.fields else None, exc.detail)
        return cleaned


@admin.register(Accreditation)
class AccreditationAdmin(admin.ModelAdmin):
    """The trust registry: operators record which issuers may issue which credential types.

    Records are written by credentials.services (accredit_issuer, amend_accreditation), under the
    same rules as the accredit_issuer command. Who was accredited, for what and from when is
    fixed once recorded; an accreditation that ended is kept (credentials are checked against
    the period): end it by setting valid until rather than deleting it.
    """

    form = AccreditationForm
    list_display = ("organisation", "credential_type", "valid_from", "valid_until", "registered_by")
    list_filter = ("credential_type",)
    search_fields = ("organisation__name", "credential_type", "notes")
    fields = (
        "organisation",
        "credential_type",
        "valid_from",
        "valid_until",
        "notes",
        "dids",
        "registered_by",
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("dids", "registered_by")
        return ("organisation", "credential_type", "valid_from", "dids", "registered_by")

    def has_delete_permission(self, request, obj=None):
        return False  # the registry's history explains why past verifications answered as they did

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organisation":
            kwargs["queryset"] = Organisation.objects.filter(kind=Organisation.Kind.ISSUER)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            amend_accreditation(accreditation=obj, valid_until=obj.valid_until, notes=obj.notes)
        else:
            obj.pk = accredit_issuer(
                organisation=obj.organisation,
                credential_type=obj.credential_type,
                valid_from=obj.valid_from,
                valid_until=obj.valid_until,
                registered_by=request.user,
                notes=obj.notes,
            ).pk
        obj.refresh_from_db()  # what the service recorded is what the admin logs and shows

    @admin.display(description=gettext_lazy("DIDs covered"))
    def dids(self, obj: Accreditation) -> str:
        if obj.organisation_id is None:
            return "-"
        dids = [
            *HostedIssuerDid.objects.filter(organisation_id=obj.organisation_id).values_list(
                "did", flat=True
            ),
            *obj.organisation.signing_keys.values_list("did", flat=True),
            *obj.organisation.external_dids.values_list("did", flat=True),
        ]
        return ", ".join(dids) or "(no signing key yet)"
