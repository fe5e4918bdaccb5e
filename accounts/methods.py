"""A page asked for with a method it does not take answers with a page, not an empty body.

Django's ``require_POST`` and ``require_http_methods`` answer 405 with no body at all: a person
who reloads the address of a button (``…/read``, ``…/revoke``) or opens it from a bookmark sees a
blank page. Under the portal and the consoles the 405 keeps its status and its Allow header, and
says in the person's language what happened and where to go; API paths keep their problem
documents (DRF answers those itself).
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render

from core.problems import API_PREFIXES


class MethodNotAllowedPageMiddleware:
    """Give an empty 405 outside the API the portal's page for it, in the active language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code != 405 or request.path.startswith(API_PREFIXES):
            return response
        if not isinstance(response, HttpResponse) or response.content:
            return response  # a streamed answer, or one that says something already
        page = render(request, "405.html", status=405)
        if response.has_header("Allow"):
            page["Allow"] = response["Allow"]
        return page
