"""Filters of the citizen's log page: who, why, with what outcome, over which period."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts import timezones
from vault import selectors
from vault.models import AccessEvent, Pod

YOU = "you"


class LogFilterForm(forms.Form):
    """Every field optional; the choices are what the pod's own log holds (nobody else's names)."""

    who = forms.ChoiceField(label=_("Who"), required=False)
    purpose = forms.ChoiceField(label=_("Why"), required=False)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", _("Any outcome")), *AccessEvent.Outcome.choices],
    )
    legal = forms.BooleanField(label=_("Only reads under a law"), required=False)
    since = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Give the date as YYYY-MM-DD.")},
    )
    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Give the date as YYYY-MM-DD.")},
    )

    def __init__(self, *args, pod: Pod, log_size: int, **kwargs):
        super().__init__(*args, **kwargs)
        organisations, self.purpose_codes = selectors.log_filter_choices(pod, size=log_size)
        self.fields["who"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone")),
            (YOU, _("You")),
            *organisations.items(),
        ]
        self.fields["purpose"].choices = [("", _("Any purpose")), *[(c, c) for c in self.purpose_codes]]  # type: ignore[attr-defined]

    def clean(self):
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            raise forms.ValidationError(_("The end of the period comes before its start."))
        return cleaned

    def apply(self, events: QuerySet[AccessEvent]) -> QuerySet[AccessEvent]:
        data = self.cleaned_data
        if data["who"] == YOU:
            events = events.filter(actor_kind=AccessEvent.ActorKind.CITIZEN)
        elif data["who"]:
            events = events.filter(actor_organisation_id=data["who"])
        if data["purpose"]:
            events = events.filter(purpose=data["purpose"])
        if data["outcome"]:
            events = events.filter(outcome=data["outcome"])
        if data.get("legal"):  # reads (and denied attempts) under an agency's mandate
            events = events.exclude(legal={})
        if data["since"]:
            events = events.filter(occurred_at__gte=timezones.start_of_day(data["since"]))
        if data["until"]:
            events = events.filter(occurred_at__lt=timezones.next_day_start(data["until"]))
        return events
