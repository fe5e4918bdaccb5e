"""The organisation console: the portal's pages for members of an organisation, by its kind.

A member signs in on the portal's login page like a citizen and lands on their organisation's
console (``/portal/console/<slug>/``). Every console page is a view behind ``member_required``
with the kinds of organisation it serves: the organisation comes from the URL's slug, looked up
among the signed-in user's own active memberships, so another organisation's console, or a
console of the wrong kind, is a 404 (it is not confirmed to exist); an account that is a member
of no organisation gets a 403.

The apps that own the data register their pages in the navigation from their AppConfig.ready
(``register_page``): accounts knows no page of consent or vault, they know accounts.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils.functional import Promise

from .models import Membership, Organisation


@dataclass(frozen=True)
class ConsolePage:
    """One entry of a console's navigation: for organisations of ``kinds``, the page named
    ``url_name`` (it takes the organisation's slug as ``org``), marked current on ``current``."""

    kinds: tuple[str, ...]
    url_name: str
    label: str | Promise
    current: tuple[str, ...]
    order: int


_PAGES: list[ConsolePage] = []


def register_page(
    *,
    kinds: Sequence[str],
    url_name: str,
    label: str | Promise,
    current: Sequence[str] = (),
    order: int = 100,
) -> None:
    """Add a page to the navigation of the consoles of ``kinds`` (once; from AppConfig.ready).

    ``url_name`` is a portal URL name ("portal:console-requests") taking the slug as ``org``;
    ``current`` names other URL names (without "portal:") under which the entry is the current
    one; ``order`` sorts the entries (lower first)."""
    page = ConsolePage(tuple(kinds), url_name, label, (url_name.split(":")[-1], *current), order)
    if any(existing.url_name == url_name for existing in _PAGES):
        return
    _PAGES.append(page)
    _PAGES.sort(key=lambda item: item.order)


def pages_for(kind: str) -> list[ConsolePage]:
    return [page for page in _PAGES if kind in page.kinds]


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str | Promise
    current: bool


@dataclass(frozen=True)
class Console:
    """What a console page knows of where it is: the organisation, and its navigation."""

    organisation: Organisation
    nav: list[NavItem]


def console_of(request: HttpRequest, organisation: Organisation) -> Console:
    name = request.resolver_match.url_name if request.resolver_match else ""
    nav = [
        NavItem(reverse(page.url_name, kwargs={"org": organisation.slug}), page.label, name in page.current)
        for page in pages_for(organisation.kind)
    ]
    return Console(organisation, nav)


def memberships_of(user: Any) -> Any:
    """The user's memberships of active organisations, by organisation name."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "pk", None):
        return Membership.objects.none()
    return (
        Membership.objects.filter(user_id=user.pk, organisation__is_active=True)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def is_member(user: Any) -> bool:
    return memberships_of(user).exists()


def member_organisation(user: Any, slug: str, kinds: Sequence[str]) -> Organisation:
    """The organisation ``slug`` if ``user`` is a member and it is of one of ``kinds``.

    Raises PermissionDenied (a member of no organisation) or Http404 (not theirs, or another kind)."""
    memberships = memberships_of(user)
    membership = memberships.filter(organisation__slug=slug, organisation__kind__in=list(kinds)).first()
    if membership is None:
        if not memberships.exists():
            raise PermissionDenied("Only members of an organisation have a console.")
        raise Http404("You are not a member of an organisation of this kind with that name.")
    return membership.organisation


def member_required(
    *kinds: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Console views: log in first; then only members of the organisation named by the URL's
    ``org``, of one of ``kinds``, get through. The view receives the organisation as
    ``organisation`` (instead of ``org``), and templates find the console as ``request.console``."""
    allowed = kinds or tuple(Organisation.Kind.values)

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, org: str, **kwargs: Any) -> HttpResponseBase:
            organisation = member_organisation(request.user, org, allowed)
            request.console = console_of(request, organisation)  # type: ignore[attr-defined]
            return view(request, *args, organisation=organisation, **kwargs)

        return login_required(wrapper)

    return decorate
