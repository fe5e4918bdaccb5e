"""The issuer's console forms: one credential, a CSV class, a status change.

The claims are the type registry's (vc.types); a filled-in form becomes the cells of one batch
CSV row, checked by the batch's own rules (vault.batchcsv.check_row) and made into the same
unsigned credential (credential_for), so one credential and a class follow one set of rules.
"""

import uuid

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.errors import InvalidNationalId
from accounts.identity import normalise_national_id
from core.text import validate_plain_text
from credentials.models import MAX_STATUS_NOTE_CHARS, StatusReason
from vault.batchcsv import NATIONAL_ID, Layout, Row, check_row, credential_for, layout_of
from vault.portal.presenting import type_name
from vault.portal.refusals import NATIONAL_ID_WORDS, row_in_words
from vc.types import CHOICE_LABELS, CREDENTIAL_TYPES, Claim

LIST_SEPARATOR = ";"
# The country of a national register number typed (or written in an uploaded CSV) without one.
CONSOLE_COUNTRY = "BE"


def type_choices() -> list[tuple[str, str]]:
    return [(name, type_name(name)) for name in CREDENTIAL_TYPES]


class TypeForm(forms.Form):
    """Which kind of credential to issue (a GET form: the type's name is no personal data)."""

    type = forms.ChoiceField(label=_("Kind of credential"), choices=type_choices)


def _choice_label(value: str) -> str:
    return gettext(CHOICE_LABELS[value]) if value in CHOICE_LABELS else value


def _field_for(claim: Claim) -> forms.Field:
    label = gettext(claim.label)
    required = claim.required
    if claim.kind == "date":
        return forms.DateField(
            label=label,
            required=required,
            widget=forms.DateInput(attrs={"type": "date"}),
            error_messages={"invalid": _("Give the date as YYYY-MM-DD.")},
        )
    if claim.kind == "choice":
        empty = [] if required else [("", "—")]
        return forms.ChoiceField(
            label=label, required=required, choices=empty + [(c, _choice_label(c)) for c in claim.choices]
        )
    if claim.kind == "boolean":
        return forms.ChoiceField(
            label=label,
            required=required,
            choices=[("false", gettext("No")), ("true", gettext("Yes"))],
            widget=forms.RadioSelect,
        )
    if claim.kind == "list":
        return forms.MultipleChoiceField(
            label=label,
            required=required,
            choices=[(c, _choice_label(c)) for c in claim.choices],
            widget=forms.CheckboxSelectMultiple,
        )
    return forms.CharField(label=label, required=required, max_length=200)


class IssueForm(forms.Form):
    """One credential of ``credential_type``: the citizen by national register number (sent in
    the form, never in a URL) and the type's claims as fields. ``token`` names the credential
    (its id is urn:uuid:token), so a form sent twice issues once (the second is a duplicate)."""

    national_id = forms.CharField(
        label=_("The citizen's national register number"),
        max_length=40,
        help_text=_("As on the identity card, e.g. 85.07.30-033.28 (other countries: FR:…)."),
    )
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, credential_type: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.layout: Layout = layout_of(credential_type)
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4())
        for column, claim in self.layout.claims.items():
            self.fields[column] = _field_for(claim)

    def claim_fields(self) -> list[forms.BoundField]:
        return [self[column] for column in self.layout.claims]

    def clean(self):
        """The batch's rules on the row these fields make; each refusal on its field."""
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        cells = {NATIONAL_ID: cleaned.get("national_id", "")}
        for column, claim in self.layout.claims.items():
            value = cleaned.get(column)
            if claim.kind == "list":
                cells[column] = LIST_SEPARATOR.join(value or [])
            elif claim.kind == "date":
                cells[column] = value.isoformat() if value else ""
            else:
                cells[column] = value or ""
        header = list(self.layout.names)
        row = Row(1, [cells.get(name, "") for name in header])
        checked, errors = check_row(header, row, self.layout, default_country=CONSOLE_COUNTRY)
        for error in errors:
            field = "national_id" if error.column == NATIONAL_ID else error.column
            self.add_error(field if field in self.fields else None, row_in_words(error.code, error.reason))
        self.cells = checked
        return cleaned

    def credential(self) -> dict:
        """The unsigned credential (after is_valid), as a batch row would make it."""
        return credential_for(
            self.cells, layout=self.layout, credential_id=f"urn:uuid:{self.cleaned_data['token']}"
        )

    @property
    def national_id_value(self) -> str:
        return self.cells[NATIONAL_ID]


class BatchForm(forms.Form):
    credential_type = forms.ChoiceField(label=_("Kind of credential"), choices=type_choices)
    file = forms.FileField(
        label=_("The class, as a CSV file"),
        help_text=_(
            "One line per citizen; the first line names the columns listed below. Write the national "
            "register number as on the identity card (85.07.30-033.28) or with its country "
            "(BE:85073003328, FR:…)."
        ),
    )


# Why an issuer changes a status (credentials.models.StatusReason), in the member's language.
STATUS_REASON_LABELS: dict[str, Promise] = {
    StatusReason.ISSUED_IN_ERROR: _("Issued in error"),
    StatusReason.SUPERSEDED: _("Replaced by a new credential"),
    StatusReason.UNDER_REVIEW: _("Under review"),
    StatusReason.WITHDRAWN: _("Withdrawn by a decision of your organisation"),
    StatusReason.HOLDER_REQUEST: _("At the holder's request"),
    StatusReason.REVIEW_COMPLETED: _("Review completed"),
}


class StatusForm(forms.Form):
    """A status change and, optionally, why: a reason from the list and a short note, both shown
    to the citizen holding the credential (the reason in their language, the note as written)."""

    ACTIONS = {
        "revoke": ("revocation", True),
        "suspend": ("suspension", True),
        "reinstate": ("suspension", False),
    }
    action = forms.ChoiceField(choices=[(name, name) for name in ACTIONS])
    reason = forms.ChoiceField(
        label=_("Why (optional)"),
        required=False,
        choices=[("", "—"), *STATUS_REASON_LABELS.items()],
    )
    note = forms.CharField(
        label=_("A note for the citizen (optional)"),
        required=False,
        max_length=MAX_STATUS_NOTE_CHARS,
        validators=[validate_plain_text],
        help_text=_("Plain text, at most 200 characters. The citizen reads it with their credential."),
    )


class FindCitizenForm(forms.Form):
    """Which of the organisation's credentials a citizen holds (a POST: the number stays out of URLs)."""

    national_id = forms.CharField(label=_("The citizen's national register number"), max_length=40)

    def clean_national_id(self) -> str:
        try:
            return normalise_national_id(self.cleaned_data["national_id"], default_country=CONSOLE_COUNTRY)
        except InvalidNationalId as exc:
            raise forms.ValidationError(str(NATIONAL_ID_WORDS[exc.problem])) from exc
