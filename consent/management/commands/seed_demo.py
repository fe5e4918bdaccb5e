"""Seed the quick-start demo: a university, an employer, an agency, a citizen with a diploma.

Safe to run again: it reuses what exists and issues fresh demo tokens (the old ones are revoked),
written to demo.env for the README's walk-through.
"""

import os
import shlex
import sys
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, Organisation, User
from accounts.requestkeys import register_request_key
from accounts.services import add_member, create_organisation, issue_api_token, revoke_api_token
from consent.models import AccessRequest, Mandate
from consent.services import file_access_request, register_mandate
from credentials.selectors import active_issuer_key
from credentials.services import accredit_issuer, create_issuer_key
from vault.models import Pod
from vault.services import create_citizen, issue_into_pod
from vc.jsonld import CREDENTIALS_V2, EDUCATION_V1
from vc.multikey import did_key_for, private_key_to_multikey

CITIZEN_EMAIL = "an.peeters@example.org"
CITIZEN_NATIONAL_ID = "BE:85073003328"
CITIZEN_PASSWORD = "demo-citizen-password"  # noqa: S105 - demo only, refused when DEBUG is off
OPERATOR_PASSWORD = "demo-operator-password"  # noqa: S105
# Members who sign in to the portal and land on their organisation's console.
EMPLOYER_MEMBER_EMAIL = "hr@acme-recruiting.example"
EMPLOYER_MEMBER_PASSWORD = "demo-employer-password"  # noqa: S105
ISSUER_MEMBER_EMAIL = "registrar@demo-university.example"
ISSUER_MEMBER_PASSWORD = "demo-issuer-password"  # noqa: S105
AGENCY_MEMBER_EMAIL = "inspector@employment-office.example"
AGENCY_MEMBER_PASSWORD = "demo-agency-password"  # noqa: S105

DEMO_DIPLOMA = {
    "@context": [CREDENTIALS_V2, EDUCATION_V1],
    "type": ["VerifiableCredential", "DiplomaCredential"],
    "name": "Master of Science in Computer Science",
    "credentialSubject": {
        "givenName": "An",
        "familyName": "Peeters",
        "degree": {"type": "MasterDegree", "name": "Master of Science in Computer Science"},
        "fieldOfStudy": "Computer Science",
        "awardedOn": "2024-06-28",
    },
}


def _organisation(name: str, slug: str, kind: str) -> Organisation:
    return Organisation.objects.filter(slug=slug).first() or create_organisation(
        name=name, kind=kind, slug=slug
    )


def _issuer(name: str, slug: str, credential_type: str) -> Organisation:
    """An issuer with a signing key, accredited in the trust registry for ``credential_type``
    (so that verifiers find what it issues trusted)."""
    issuer = _organisation(name, slug, Organisation.Kind.ISSUER)
    if not issuer.signing_keys.filter(retired_at__isnull=True).exists():
        create_issuer_key(organisation=issuer)
    if not issuer.accreditations.filter(credential_type=credential_type).exists():
        accredit_issuer(
            organisation=issuer,
            credential_type=credential_type,
            valid_from=timezone.now() - timedelta(days=365),
            notes="Demo data (seed_demo).",
        )
    return issuer


def _fresh_token(**holder) -> str:
    for old in ApiToken.objects.filter(name="demo", revoked_at__isnull=True, **holder):
        revoke_api_token(token=old)
    return issue_api_token(name="demo", **holder)[1]


class Command(BaseCommand):
    help = "Seed the demo data and print where to go and what to try (DEBUG only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--env-file",
            default=str(Path(settings.BASE_DIR) / "demo.env"),
            help="Where to write $CV and the demo's API tokens (default: demo.env in the checkout).",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo runs only with DEBUG=1: it creates well-known passwords.")
        university = _issuer("Demo University", "demo-university", "DiplomaCredential")
        register = _issuer("Central Criminal Records Register", "criminal-records", "GoodConductCertificate")
        training = _issuer("Brussels Language Centre", "brussels-language-centre", "LanguageCertificate")
        employer = _organisation("Acme Recruiting", "acme-recruiting", Organisation.Kind.EMPLOYER)
        other_employer = _organisation("Other Employer", "other-employer", Organisation.Kind.EMPLOYER)
        agency = _organisation("National Employment Office", "employment-office", Organisation.Kind.AGENCY)
        if not Mandate.objects.filter(agency=agency).exists():
            # A fictional law, for the demo's agency console: the degree's name and date, no delay.
            register_mandate(
                agency=agency,
                reference_url="https://www.ejustice.just.fgov.be/",
                reference_title="Demo mandate (fictional): checking qualifications for benefits, art. 1",
                credential_types=["DiplomaCredential"],
                claims={
                    "DiplomaCredential": ["/credentialSubject/degree/name", "/credentialSubject/awardedOn"]
                },
                purpose="dpv:LegalCompliance",
                valid_until=timezone.now() + timedelta(days=365),
                operator_label="seed_demo",
            )

        pod = Pod.objects.filter(owner__email=CITIZEN_EMAIL).first()
        if pod is None:
            pod = create_citizen(
                email=CITIZEN_EMAIL, national_id=CITIZEN_NATIONAL_ID, password=CITIZEN_PASSWORD
            )
        if not pod.credentials.exists():
            issue_into_pod(issuer=university, national_id=CITIZEN_NATIONAL_ID, credential=DEMO_DIPLOMA)
        if not AccessRequest.objects.filter(pod=pod, status=AccessRequest.Status.PENDING).exists():
            # As the web console files it: signed by the organisation's custodial key (the portal
            # says so), whatever ACCESS_REQUESTS_REQUIRE_SIGNATURE is in the demo.
            file_access_request(
                requester=other_employer,
                national_id=CITIZEN_NATIONAL_ID,
                credential_types=["DiplomaCredential"],
                purpose="dpv:IdentityVerification",
                purpose_description="Pre-employment screening for the warehouse lead position.",
                valid_until=timezone.now() + timedelta(days=14),
                submitted_in_console=True,
            )
        add_member(organisation=employer, email=EMPLOYER_MEMBER_EMAIL, password=EMPLOYER_MEMBER_PASSWORD)
        add_member(organisation=university, email=ISSUER_MEMBER_EMAIL, password=ISSUER_MEMBER_PASSWORD)
        add_member(organisation=agency, email=AGENCY_MEMBER_EMAIL, password=AGENCY_MEMBER_PASSWORD)
        if not User.objects.filter(username="operator").exists():
            User.objects.create_superuser("operator", "operator@example.org", OPERATOR_PASSWORD)

        tokens = {
            "CV_ISSUER_TOKEN": _fresh_token(organisation=university),
            "CV_REGISTER_TOKEN": _fresh_token(organisation=register),
            "CV_TRAINING_TOKEN": _fresh_token(organisation=training),
            "CV_EMPLOYER_TOKEN": _fresh_token(organisation=employer),
            "CV_OTHER_EMPLOYER_TOKEN": _fresh_token(organisation=other_employer),
            "CV_AGENCY_TOKEN": _fresh_token(organisation=agency),
            "CV_CITIZEN_TOKEN": _fresh_token(user=pod.owner),
        }
        # The employer signs its access requests with a key it holds (a fresh one per run, its
        # did:key registered as POST /api/v1/organisation/request-keys would).
        signing_key = Ed25519PrivateKey.generate()
        register_request_key(
            organisation=employer,
            verification_method=did_key_for(signing_key.public_key()).verification_method,
        )
        env_file = Path(options["env_file"])
        lines = [f"export CV={settings.SITE_URL}", f"export CV_NATIONAL_ID={CITIZEN_NATIONAL_ID}"]
        lines += [f"export {name}={value}" for name, value in tokens.items()]
        lines += [
            f"export CV_EMPLOYER_SIGNING_KEY={private_key_to_multikey(signing_key)}",
            f"export CV_PYTHON={shlex.quote(sys.executable)}",
        ]
        env_file.write_text("\n".join(lines) + "\n")
        env_file.chmod(0o600)
        shown = shlex.quote(os.path.relpath(env_file))
        employer_login = f"{EMPLOYER_MEMBER_EMAIL} / {EMPLOYER_MEMBER_PASSWORD}"
        issuer_login = f"{ISSUER_MEMBER_EMAIL} / {ISSUER_MEMBER_PASSWORD}"
        agency_login = f"{AGENCY_MEMBER_EMAIL} / {AGENCY_MEMBER_PASSWORD}"

        self.stdout.write(
            f"""
Citizen Vault demo is ready.

  API docs (Swagger UI)  {settings.SITE_URL}/api/docs/
  OpenAPI schema         {settings.SITE_URL}/api/schema/
  Citizen portal         {settings.SITE_URL}/portal/       {CITIZEN_EMAIL} / {CITIZEN_PASSWORD}
  Operator admin         {settings.SITE_URL}/admin/        operator / {OPERATOR_PASSWORD}
  Employer console       {settings.SITE_URL}/portal/       {employer_login}
  Issuer console         {settings.SITE_URL}/portal/       {issuer_login}
  Agency console         {settings.SITE_URL}/portal/       {agency_login}

  Demo University (issuer of diplomas)  {active_issuer_key(university).did}
  Central Criminal Records Register (certificates of good conduct), Brussels Language Centre
  (language certificates), Acme Recruiting (employer), Other Employer (employer), National
  Employment Office (agency, with a fictional mandate to read a diploma's name and date)
  Citizen An Peeters, national id {CITIZEN_NATIONAL_ID}, a diploma in the pod and a request
  from Other Employer waiting in the portal

API tokens for the walk-through were written to {shown}. In another terminal:
  source {shown}
  curl -s -H "Authorization: Bearer $CV_CITIZEN_TOKEN" $CV/api/v1/pod/credentials
Then follow "Walk-through" in README.md: request, approve, read, revoke, read the log.
"""
        )
