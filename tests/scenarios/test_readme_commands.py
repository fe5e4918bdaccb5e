"""Every manage.py command the README prints works as printed, in a shell with nothing exported.

The walk-through runs beside `make demo`, so the commands run against a demo database (seeded as
`make demo` seeds it, in a temporary SQLite file). Help works without any secret; anything else
without DEBUG and without production secrets still refuses to start.
"""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.quickstart import REPOSITORY, clean_environment, manage, quickstart_environment

README = REPOSITORY / "README.md"
PROJECT_COMMANDS = sorted(
    path.stem
    for path in REPOSITORY.glob("*/management/commands/*.py")
    if not path.stem.startswith("_") and ".venv" not in path.parts
)


def printed_manage_commands() -> list[str]:
    """The manage.py command lines in the README's shell blocks, comment markers removed."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.DOTALL):
        for line in block.splitlines():
            command = line.lstrip("# ").strip()
            if "manage.py" in command:
                commands.append(command)
    return commands


def run(command: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The README says .venv/bin/python; a checkout whose interpreter lives elsewhere uses this one.
    if not (REPOSITORY / ".venv/bin/python").exists():
        command = command.replace(".venv/bin/python", shlex.quote(sys.executable))
    return subprocess.run(  # noqa: S603 - the README's own commands
        ["/bin/sh", "-c", command], cwd=REPOSITORY, env=environment, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory):
    directory = tmp_path_factory.mktemp("readme")
    environment = quickstart_environment(directory)
    manage(environment, "migrate", "--no-input")
    manage(environment, "seed_demo", "--env-file", str(directory / "demo.env"))
    return directory / "db.sqlite3"


def test_the_readme_prints_manage_py_commands():
    assert printed_manage_commands()


@pytest.mark.parametrize("command", printed_manage_commands())
def test_a_printed_command_works_as_printed(command, demo_database):
    # Nothing exported but where the demo keeps its database.
    result = run(command, clean_environment(SQLITE_PATH=str(demo_database)))
    assert result.returncode == 0, (result.stdout, result.stderr)


@pytest.mark.parametrize(
    "args", [[], ["help"], ["--help"], ["help", "create_citizen"], *[[c, "--help"] for c in PROJECT_COMMANDS]]
)
def test_help_works_without_debug_or_secrets(args):
    result = run(" ".join([".venv/bin/python", "manage.py", *args]), clean_environment())
    assert result.returncode == 0, result.stderr
    assert "ImproperlyConfigured" not in result.stderr
    assert "usage" in result.stdout.lower() or "available subcommands" in result.stdout.lower()


def test_a_command_without_debug_or_secrets_still_refuses_to_start(tmp_path: Path):
    result = run(".venv/bin/python manage.py check", clean_environment(SQLITE_PATH=str(tmp_path / "db")))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
