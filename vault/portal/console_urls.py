"""The issuer's console (accounts.console): the organisation by its slug, the member's own."""

from django.urls import path

from . import console

urlpatterns = [
    path("console/<slug:org>/issue", console.issue, name="console-issue"),
    path("console/<slug:org>/batches", console.batch_list, name="console-batches"),
    path("console/<slug:org>/batches/<uuid:batch_id>", console.batch_detail, name="console-batch"),
    path(
        "console/<slug:org>/batches/<uuid:batch_id>/report", console.batch_report, name="console-batch-report"
    ),
    path("console/<slug:org>/credentials", console.issued, name="console-issued"),
    path(
        "console/<slug:org>/credentials/<uuid:resource_id>/status",
        console.change_status,
        name="console-status",
    ),
]
