"""Small pieces of sentences every app composes, in the active language."""

from django.utils.translation import gettext as _


def labelled(label: str, value: str) -> str:
    """ "label: value" in the active language: French puts a no-break space before the colon
    ("Attestation lue : Diplôme"), which a colon written outside the translation cannot."""
    return _("%(label)s: %(value)s") % {"label": label, "value": value}
