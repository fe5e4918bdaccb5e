#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

HELP_FLAGS = {"-h", "--help"}


def asks_only_for_help(args: list[str]) -> bool:
    """`manage.py`, `manage.py help [...]`, `manage.py --help` or `manage.py <command> --help`."""
    return not args or args[0] in HELP_FLAGS | {"help"} or (len(args) == 2 and args[1] in HELP_FLAGS)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if asks_only_for_help(sys.argv[1:]):
        # Help reads no data and no keys, but the settings (which list the commands) refuse to
        # load without the production secrets unless DEBUG is on: load them as the quick start does.
        os.environ["DEBUG"] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
