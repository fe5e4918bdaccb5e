from core.throttling import UserRateThrottle


class FileAccessRequestThrottle(UserRateThrottle):
    """Filing requests is rate-limited per organisation: each one may e-mail a citizen. (No
    answer says whether a national identifier has a pod here: a request to one without is held
    for it and answered the same, so the limit is the same for both.)"""

    scope = "access-requests"

    def allow_request(self, request, view) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)
