from core.throttling import UserRateThrottle


class FileAccessRequestThrottle(UserRateThrottle):
    """Filing requests is rate-limited per organisation: each one e-mails a citizen, and each
    answer says whether a national identifier has a pod here."""

    scope = "access-requests"

    def allow_request(self, request, view) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)
