from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import timezones
from accounts.errors import InvalidNationalId
from accounts.identity import normalise_national_id, with_default_country
from consent.models import AccessRequest, Purpose
from consent.scopes import claims_of
from consent.services import MAX_GRANT_PERIOD, MAX_LEGAL_READ_CITIZENS, MAX_READS
from vault.documents import DOCUMENT_TYPES
from vault.templatetags.credential_types import type_name
from vc.types import CREDENTIAL_TYPES

# What a selectively disclosed credential always shows beside the chosen fields (vc.types
# BASE_MANDATORY_POINTERS), in words: the issuer's signature covers them.
ALWAYS_SHARED = (
    _("who issued it"),
    _("what kind of credential it is"),
    _("when it is valid"),
    _("whether it was revoked"),
    _("the identifier it was issued to (your pod's)"),
)


def always_shared(credential_type: str) -> list[str]:
    """What is shared with every field of a credential of this type, in the active language: the
    base mandatory claims and the type's own (e.g. the kind of degree), by the registry's labels."""
    registered = CREDENTIAL_TYPES.get(credential_type)
    labels = [str(words) for words in ALWAYS_SHARED]
    if registered is not None:
        known = claims_of(registered)
        labels += [gettext(known[p].label) for p in registered.claim_type_pointers if p in known]
    return labels


def claims_field_name(credential_type: str) -> str:
    return f"claims_{credential_type}"


class ApproveForm(forms.Form):
    """Approve as asked, or narrow: fewer credential types or fields, fewer document types, an
    earlier end, fewer reads."""

    credential_types = forms.MultipleChoiceField(
        label=_("Share"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    document_types = forms.MultipleChoiceField(
        label=_("Documents to share"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    valid_until = forms.DateField(
        label=format_lazy(_("Until (end of day, {zone})"), zone=timezones.zone_name_lazy()),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Give the end date as YYYY-MM-DD.")},
    )
    max_reads = forms.IntegerField(
        label=_("At most this many reads (empty: as asked)"),
        required=False,
        min_value=1,
        max_value=MAX_READS,
    )

    def __init__(self, *args, access_request: AccessRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.access_request = access_request
        if access_request.max_reads:
            reads = self.fields["max_reads"]
            assert isinstance(reads, forms.IntegerField)
            reads.max_value = access_request.max_reads
            reads.widget.attrs["max"] = access_request.max_reads
        choices = [(name, type_name(name)) for name in access_request.credential_types]
        field = self.fields["credential_types"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = choices
        field.initial = access_request.credential_types
        documents = self.fields["document_types"]
        assert isinstance(documents, forms.MultipleChoiceField)
        documents.choices = [
            (name, label)
            for name, label in zip(
                access_request.document_types, access_request.scope.documents_in_words(), strict=True
            )
        ]
        documents.initial = access_request.document_types
        # Narrowing by field: per type asked for by claim, a checkbox per claim asked for (valued by
        # the registry's column name, never the pointer), all ticked to begin with.
        self.claim_pointers: dict[str, dict[str, str]] = {}
        for name, pointers in access_request.scope.claims.items():
            registered = CREDENTIAL_TYPES.get(name)
            known = claims_of(registered) if registered else {}
            by_column = {known[p].column: p for p in known if p in pointers}  # the registry's order
            self.claim_pointers[name] = by_column
            self.fields[claims_field_name(name)] = forms.MultipleChoiceField(
                label=_("Fields of the %(type)s to share") % {"type": type_name(name)},
                widget=forms.CheckboxSelectMultiple,
                required=False,
                choices=[(column, gettext(known[p].label)) for column, p in by_column.items()],
                initial=list(by_column),
            )

    def type_rows(self) -> list[dict[str, Any]]:
        """Per type asked for: its checkbox, and for a type asked for by claim, the checkboxes of
        its claims and what is always shared with them (the template nests them)."""
        rows = []
        for choice in self["credential_types"]:
            name = choice.data["value"]
            scoped = name in self.claim_pointers
            rows.append(
                {
                    "type": choice,
                    "claims": self[claims_field_name(name)] if scoped else None,
                    "always": always_shared(name) if scoped else None,
                }
            )
        return rows

    def approved_claims(self) -> dict[str, list[str]] | None:
        """The claims approved per chosen type asked for by claim (pointers), or None when the
        request named no claims (each type is then shared whole, as asked)."""
        if not self.claim_pointers:
            return None
        chosen = self.cleaned_data.get("credential_types") or []
        return {
            name: [
                self.claim_pointers[name][column]
                for column in self.cleaned_data.get(claims_field_name(name), [])
            ]
            for name in chosen
            if name in self.claim_pointers
        }

    def clean(self):
        """The service decides; these are its rules said first, in the citizen's language."""
        cleaned = super().clean() or {}
        asked = self.access_request.requested_until
        if self.access_request.is_expired:
            raise forms.ValidationError(
                _("This request ended on %(date)s; it can no longer be approved."),
                code="expired",
                params={"date": date_format(asked, "DATETIME_FORMAT")},
            )
        if not cleaned.get("credential_types") and not cleaned.get("document_types"):
            if self.access_request.document_types:
                message = _("Choose at least one credential type or document type to share.")
            else:
                message = _("Choose at least one credential type to share.")
            self.add_error("credential_types", forms.ValidationError(message, code="required"))
        for name in cleaned.get("credential_types") or []:
            if name in self.claim_pointers and not cleaned.get(claims_field_name(name)):
                self.add_error(
                    claims_field_name(name),
                    forms.ValidationError(
                        _("Choose at least one field of the %(type)s, or do not share it at all."),
                        code="no-fields",
                        params={"type": type_name(name)},
                    ),
                )
        day = cleaned.get("valid_until")
        if day and day > timezones.local_day(asked):
            self.add_error(
                "valid_until",
                forms.ValidationError(
                    _("The grant may not last longer than was asked: until %(date)s at the latest."),
                    code="too-late",
                    params={"date": date_format(timezones.local_day(asked), "DATE_FORMAT")},
                ),
            )
        elif day and day < timezones.local_day(timezone.now()):
            self.add_error(
                "valid_until", forms.ValidationError(_("The grant must end in the future."), code="past")
            )
        return cleaned

    def valid_until_datetime(self) -> datetime | None:
        """The end of the chosen day (in the portal's zone), but never past what was asked: choosing the very
        date shown as the request's end means "as asked", not a widening."""
        day = self.cleaned_data.get("valid_until")
        if not day:
            return None
        asked = self.access_request.requested_until
        return asked if day == timezones.local_day(asked) else timezones.end_of_day(day)


class DenyForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=500, required=False)


class ReadLimitForm(forms.Form):
    max_reads = forms.IntegerField(label=_("Reads allowed"), min_value=1, max_value=MAX_READS)


class RequestForm(forms.Form):
    """An employer's access request, as the console files it (consent.services.file_access_request
    decides; this form only gathers what the API's body holds, in fields people fill in).

    Per credential type, a field of its claims (``claims_<type>``): none chosen asks for the
    whole credential; some chosen ask for those claims only (consent.scopes checks them)."""

    national_id = forms.CharField(
        label=_("The candidate's national register number"),
        max_length=40,
        help_text=_(
            "As on the identity card, e.g. 85.07.30-033.28. It is sent in the form, never in a link."
        ),
    )
    credential_types = forms.MultipleChoiceField(
        label=_("Credentials asked for"),
        widget=forms.CheckboxSelectMultiple,
        required=False,  # or documents: clean() asks for one or the other
    )
    document_types = forms.MultipleChoiceField(
        label=_("Documents asked for (each is shared whole)"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        choices=[(name, document.label) for name, document in DOCUMENT_TYPES.items()],
        error_messages={"invalid_choice": _("%(value)s is not a document type this service knows.")},
    )
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    purpose_description = forms.CharField(
        label=_("Why you need it, in plain words (shown to the candidate)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    valid_until = forms.DateField(
        label=format_lazy(_("Read until (end of day, {zone})"), zone=timezones.zone_name_lazy()),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Give the end date as YYYY-MM-DD.")},
    )
    max_reads = forms.IntegerField(
        label=_("At most this many reads (empty: no limit)"), required=False, min_value=1, max_value=MAX_READS
    )

    def clean_national_id(self) -> str:
        return with_default_country(self.cleaned_data["national_id"])

    def clean_valid_until(self):
        """The service's rules on the period (consent.services.file_access_request), said first
        in the member's language."""
        day = self.cleaned_data["valid_until"]
        end = timezones.end_of_day(day)
        now = timezone.now()
        if end <= now:
            raise forms.ValidationError(_("Choose an end date in the future."), code="past")
        if end - now > MAX_GRANT_PERIOD:
            raise forms.ValidationError(
                _("Access may be asked for at most %(days)d days."),
                code="too-long",
                params={"days": MAX_GRANT_PERIOD.days},
            )
        return day

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        types = self.fields["credential_types"]
        assert isinstance(types, forms.MultipleChoiceField)
        types.choices = [(name, type_name(name)) for name in CREDENTIAL_TYPES]
        for name, registered in CREDENTIAL_TYPES.items():
            self.fields[f"claims_{name}"] = forms.MultipleChoiceField(
                label=_("Only these fields of the %(type)s (none: the whole credential)")
                % {"type": type_name(name)},
                widget=forms.CheckboxSelectMultiple,
                required=False,
                choices=[(pointer, gettext(claim.label)) for pointer, claim in claims_of(registered).items()],
            )

    def type_groups(self) -> list[tuple[Any, forms.BoundField]]:
        """Per credential type: its checkbox and its field of claims, to lay out together."""
        boxes = list(self["credential_types"])
        return [(box, self[f"claims_{name}"]) for box, name in zip(boxes, CREDENTIAL_TYPES, strict=True)]

    def claims(self) -> dict[str, list[str]]:
        """The claims chosen per type among those asked for (a type with none is asked whole)."""
        chosen = self.cleaned_data.get("credential_types", [])
        return {
            name: self.cleaned_data[f"claims_{name}"]
            for name in chosen
            if self.cleaned_data.get(f"claims_{name}")
        }

    def clean(self):
        cleaned = super().clean() or {}
        chosen = set(cleaned.get("credential_types") or [])
        if not chosen and not cleaned.get("document_types") and not self.has_error("document_types"):
            self.add_error(
                "credential_types",
                forms.ValidationError(
                    _("Choose at least one credential type or document type."), code="nothing-asked"
                ),
            )
        for name in CREDENTIAL_TYPES:
            if cleaned.get(f"claims_{name}") and name not in chosen:
                self.add_error(
                    f"claims_{name}",
                    forms.ValidationError(
                        _("Fields are chosen for a credential that is not asked for: tick it too."),
                        code="type-not-asked",
                    ),
                )
        return cleaned

    def valid_until_datetime(self) -> datetime:
        return timezones.end_of_day(self.cleaned_data["valid_until"])


class LegalReadForm(forms.Form):
    """An agency's member reads under one of its mandates, for a case, one citizen or many."""

    mandate = forms.ChoiceField(label=_("Mandate"))
    case_reference = forms.CharField(
        label=_("Case reference"),
        required=False,  # required by the service, which logs a read without one as a denied attempt
        max_length=200,
        strip=False,
        widget=forms.TextInput(attrs={"required": True, "autocomplete": "off"}),
    )
    national_ids = forms.CharField(
        label=_("Citizens (national register numbers, one per line)"),
        help_text=_(
            "As on the identity card, e.g. 85.07.30-033.28; another country's number with its country "
            "code, e.g. NL:123456782. Every line is checked before anything is read, and each citizen "
            "gets a result of their own."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, mandates, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines: dict[str, int] = {}
        self.fields["mandate"].choices = [  # type: ignore[attr-defined]
            (str(mandate.pk), mandate.reference_title) for mandate in mandates
        ]

    def clean_national_ids(self) -> list[str]:
        """Every line checked before anything is read: each malformed number is refused naming
        its line, as is a citizen named on two lines. The numbers, normalised ("BE:85073003328");
        ``self.lines`` has the line each was typed on."""
        typed = [
            (number, line.strip())
            for number, line in enumerate(self.cleaned_data["national_ids"].splitlines(), 1)
        ]
        typed = [(number, line) for number, line in typed if line]
        if not typed:
            raise forms.ValidationError(_("Name at least one citizen."), code="required")
        if len(typed) > MAX_LEGAL_READ_CITIZENS:
            raise forms.ValidationError(
                _("Name at most %(count)d citizens in one read; these are %(given)d."),
                code="too-many",
                params={"count": MAX_LEGAL_READ_CITIZENS, "given": len(typed)},
            )
        errors: list[forms.ValidationError] = []
        first_line: dict[str, int] = {}
        for number, line in typed:
            problem = ""
            try:
                normalised = normalise_national_id(with_default_country(line))
            except InvalidNationalId as exc:
                normalised, problem = "", exc.problem
            if problem == "bad-check-digits":
                errors.append(
                    forms.ValidationError(
                        _(
                            "Line %(line)d, “%(typed)s”: its last two digits do not match the first "
                            "nine, so a digit is wrong or two are swapped. Check it against the "
                            "identity card."
                        ),
                        code="check-digits",
                        params={"line": number, "typed": line[:40]},
                    )
                )
            elif not normalised:
                errors.append(
                    forms.ValidationError(
                        _(
                            "Line %(line)d, “%(typed)s”, is malformed: it is not a national register "
                            "number. Write it as on the identity card, e.g. 85.07.30-033.28."
                        ),
                        code="malformed",
                        params={"line": number, "typed": line[:40]},
                    )
                )
            elif normalised in first_line:
                errors.append(
                    forms.ValidationError(
                        _("Line %(line)d names the same citizen as line %(first)d."),
                        code="twice",
                        params={"line": number, "first": first_line[normalised]},
                    )
                )
            else:
                first_line[normalised] = number
        if errors:
            raise forms.ValidationError(errors)
        self.lines = first_line
        return list(first_line)
