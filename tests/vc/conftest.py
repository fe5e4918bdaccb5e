"""The vc library's tests run without a database.

A test here that asks for one (a ``db`` fixture or the ``django_db`` mark) fails before it runs;
one that reaches the database without asking is refused by pytest-django's guard, as anywhere.
"""

import pytest

DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"}
)


def pytest_runtest_setup(item: pytest.Item) -> None:
    asked = sorted(DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))
    if asked or item.get_closest_marker("django_db") is not None:
        why = f"asks for {', '.join(asked)}" if asked else "is marked django_db"
        pytest.fail(f"{item.nodeid} {why}: the vc library's tests run without a database.", pytrace=False)
