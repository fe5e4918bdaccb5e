"""A strict Content-Security-Policy, and pages that need nothing it refuses.

The header alone is not enough: a page with an inline script or style would break under it. So
every page a person meets is checked for inline script, inline style and foreign resources.
"""

from html.parser import HTMLParser

import pytest
from django.test import Client

PASSWORD = "correct horse battery staple"


class _Inline(HTMLParser):
    """Collects what a strict CSP would refuse: inline scripts, style elements and attributes,
    event-handler attributes, and scripts or stylesheets from another origin."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "style" in attributes:
            self.refused.append(f"style attribute on <{tag}>")
        self.refused.extend(f"{name} handler on <{tag}>" for name in attributes if name.startswith("on"))
        if tag == "style":
            self.refused.append("<style> element")
        if tag == "script":
            source = attributes.get("src")
            if source is None and attributes.get("type") != "application/json":
                self._in_inline_script = True
            elif source is not None and not source.startswith("/"):
                self.refused.append(f"script from {source}")
        if tag == "link" and attributes.get("rel") == "stylesheet" and not attributes["href"].startswith("/"):
            self.refused.append(f"stylesheet from {attributes['href']}")

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.refused.append(f"inline script {data.strip()[:60]!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False


def refused_in(html: str) -> list[str]:
    parser = _Inline()
    parser.feed(html)
    return parser.refused


def assert_strict(response) -> None:
    assert response.status_code == 200, response.status_code
    header = response["Content-Security-Policy"]
    policy = {name: value for name, _, value in (part.partition(" ") for part in header.split("; "))}
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in header
    if response["Content-Type"].startswith("text/html"):
        assert refused_in(response.content.decode()) == []


@pytest.fixture
def citizen_browser(citizen):
    citizen.user.set_password(PASSWORD)
    citizen.user.save()
    client = Client()
    assert client.login(username=citizen.user.username, password=PASSWORD)
    return client


@pytest.fixture
def operator_browser(db, django_user_model):
    django_user_model.objects.create_superuser("op", "op@example.org", PASSWORD)
    client = Client()
    assert client.login(username="op", password=PASSWORD)
    return client


def test_the_parser_finds_what_the_policy_refuses():
    page = (
        '<p style="x"></p><style>p{}</style><script>alert(1)</script><a onclick="x">'
        '<script src="https://cdn.example/x.js"></script><script type="application/json">{}</script>'
    )
    assert len(refused_in(page)) == 5


@pytest.mark.parametrize("path", ["/portal/login/", "/api/docs/", "/api/docs/?script", "/admin/login/"])
def test_public_pages_are_strict(db, path):
    assert_strict(Client().get(path))


@pytest.mark.parametrize("path", ["/portal/", "/portal/requests", "/portal/grants", "/portal/log"])
def test_portal_pages_are_strict(citizen_browser, pending, path):
    assert_strict(citizen_browser.get(path))


def test_a_credential_page_is_strict(citizen_browser, issued):
    assert_strict(citizen_browser.get(f"/portal/credentials/{issued['id']}"))


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/accounts/organisation/", "/admin/credentials/accreditation/add/"]
)
def test_admin_pages_are_strict(operator_browser, university, path):
    assert_strict(operator_browser.get(path))


def test_the_api_answers_carry_the_policy_too(employer):
    assert "script-src 'self'" in employer.get("/api/v1/access-requests")["Content-Security-Policy"]
