"""A 404 under the API is a problem document, whatever DEBUG says.

Without DEBUG, handler404 (core.problems.not_found) answers unmatched URLs. With DEBUG, Django
ignores handler404 and answers with its technical 404 page, an HTML listing of every URL
pattern: no use to an API client, and not what it will meet in production.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from .problems import API_PREFIXES, not_found


class ApiNotFoundMiddleware:
    """Replace an HTML 404 page on an API path with the problem document handler404 gives."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code == 404
            and request.path.startswith(API_PREFIXES)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return not_found(request)
        return response
