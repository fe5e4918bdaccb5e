"""manage.py onboard_organisation: a clear refusal, never a traceback."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Organisation


def onboard(name: str, *args: str) -> str:
    out = StringIO()
    call_command("onboard_organisation", name, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_an_issuer_is_onboarded_with_a_key_and_a_token(db):
    printed = onboard("Ghent University", "--kind", "issuer")
    assert "signing key:  did:key:z6Mk" in printed
    assert "api token:    cvt_" in printed


def test_a_name_whose_slug_is_taken_is_refused_clearly(db):
    onboard("Ghent University", "--kind", "issuer")
    with pytest.raises(CommandError, match=r"slug.*choose another name, or --slug"):
        onboard("Ghent  University", "--kind", "issuer")
    assert Organisation.objects.count() == 1


def test_a_name_with_hidden_characters_is_refused_clearly(db):
    with pytest.raises(CommandError, match="U\\+202E RIGHT-TO-LEFT OVERRIDE"):
        onboard("Acme\u202e Recruiting", "--kind", "employer")
    assert not Organisation.objects.exists()


def test_the_services_own_slug_is_refused(db):
    from credentials.models import SERVICE_SLUG

    with pytest.raises(CommandError, match="reserved for this service"):
        onboard("Citizen Vault", "--kind", "issuer", "--slug", SERVICE_SLUG)
    assert not Organisation.objects.exists()
