"""The nl, fr and de catalogues hold every marked string, translated.

makemessages is run on a copy of the sources (never on the repository's own catalogues), so a
string marked in a template or in Python and not translated, or an entry whose msgid no longer
matches its source (makemessages then marks its old translation fuzzy, and the portal shows the
English), fails here instead of showing English to a citizen. It needs GNU gettext
(scripts/setup-system.sh installs it), as makemessages does.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("nl", "fr", "de")
SOURCES = ("accounts", "config", "consent", "core", "credentials", "inbox", "vault", "vc", "locale")

pytestmark = pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")


def _msgids(po: Path, *flags: str) -> list[str]:
    out = subprocess.run(  # noqa: S603 - our own catalogue
        ["msgattrib", *flags, "--no-wrap", str(po)],  # noqa: S607 - gettext from PATH
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    ids = [line for line in out.splitlines() if line.startswith("msgid ")]
    return [line for line in ids if line != 'msgid ""']  # the header


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("sources")
    for name in SOURCES:
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "makemessages", "--no-obsolete", "--no-wrap"]
        + [f"-l{language}" for language in LANGUAGES],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"DEBUG": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(copy)},
    )
    return copy / "locale"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_string_is_translated(extracted, language):
    po = extracted / language / "LC_MESSAGES" / "django.po"
    assert _msgids(po, "--untranslated") == []
    assert _msgids(po, "--only-fuzzy") == []
