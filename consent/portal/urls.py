from django.urls import path

from . import agency, console, views

urlpatterns = [
    path("requests", views.requests, name="requests"),
    path("requests/<uuid:request_id>", views.request_link, name="request-link"),
    path("requests/<uuid:request_id>/approve", views.approve, name="approve"),
    path("requests/<uuid:request_id>/deny", views.deny, name="deny"),
    path("requests/<uuid:request_id>/signed-request", views.request_evidence, name="request-evidence"),
    path("consent-records", views.consent_records, name="consent-records"),
    path("grants", views.grants, name="grants"),
    path("grants/<uuid:grant_id>/revoke", views.revoke, name="revoke"),
    path("grants/<uuid:grant_id>/read-limit", views.read_limit, name="read-limit"),
    # The employer's console (accounts.console): the organisation by its slug, the member's own.
    path("console/<slug:org>/requests", console.requests, name="console-requests"),
    path("console/<slug:org>/requests/new", console.new_request, name="console-new-request"),
    path("console/<slug:org>/requests/<uuid:request_id>", console.request_detail, name="console-request"),
    path("console/<slug:org>/requests/<uuid:request_id>/withdraw", console.withdraw, name="console-withdraw"),
    path("console/<slug:org>/requests/<uuid:request_id>/read", console.read, name="console-read"),
    path(
        "console/<slug:org>/requests/<uuid:request_id>/give-up",
        console.withdraw_grant,
        name="console-withdraw-grant",
    ),
    path(
        "console/<slug:org>/requests/<uuid:request_id>/documents",
        console.documents,
        name="console-documents",
    ),
    path(
        "console/<slug:org>/requests/<uuid:request_id>/documents/<uuid:document_id>",
        console.document,
        name="console-document",
    ),
    path("grants/<uuid:grant_id>/credential", views.grant_credential, name="grant-credential"),
    # The agency's console: reads under its mandates.
    path("console/<slug:org>/legal-reads", agency.legal_reads, name="console-legal-reads"),
    path(
        "console/<slug:org>/legal-reads/presentation",
        agency.presentation_download,
        name="console-legal-read-presentation",
    ),
]
