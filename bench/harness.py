"""What every benchmark here needs: a throw-away database, the same as the test suite's.

Run the benchmarks as scripts (`python bench/verify.py`): this module sits beside them.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.test.utils import setup_test_environment


@contextmanager
def throwaway_database() -> Iterator[None]:
    """Create a test database (SQLite, or DATABASE_URL's server), yield, then drop it.

    Query logging is off while measuring (DEBUG would keep every query in memory).
    """
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    settings.DEBUG = False
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
