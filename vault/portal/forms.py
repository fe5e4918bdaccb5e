"""Filters of the citizen's log page: who, why, with what outcome, over which period."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts import timezones
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

    def __init__(self, *args, pod: Pod, **kwargs):
        super().__init__(*args, **kwargs)
        # Who and why from one pass over the pod's log: its distinct (organisation, purpose)
        # pairs (a handful), not a value per entry (the model's ordering dropped: with it,
        # DISTINCT would be per seq too).
        pairs = (
            AccessEvent.objects.filter(pod=pod)
            .order_by()
            .values_list("actor_organisation_id", "actor_organisation__name", "purpose")
            .distinct()
        )
        organisations: dict[str, str] = {}
        purposes: set[str] = set()
        for organisation_id, name, purpose in pairs:
            if organisation_id is not None:
                organisations[str(organisation_id)] = name
            if purpose:
                purposes.add(purpose)
        self.fields["who"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone")),
            (YOU, _("You")),
            *sorted(organisations.items(), key=lambda choice: (choice[1], choice[0])),
        ]
        self.purpose_codes = sorted(purposes)
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
