from django.urls import path

from .views import RequestKeysView, RetireRequestKeyView, WhoAmIView

urlpatterns = [
    path("whoami", WhoAmIView.as_view(), name="whoami"),
    path("organisation/request-keys", RequestKeysView.as_view(), name="request-keys"),
    path(
        "organisation/request-keys/<uuid:key_id>/retire",
        RetireRequestKeyView.as_view(),
        name="retire-request-key",
    ),
]
