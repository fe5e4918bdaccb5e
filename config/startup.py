"""What every long-running process checks before it serves: the key rings against the database.

`manage.py` commands run Django's system checks themselves; gunicorn (config.wsgi) and Celery
workers (config.celery) do not, so they call this. A KEK or lookup-hash version that the database
still needs but the environment no longer holds would turn reads into integrity errors: refused
here, with the checks' message (vault.checks, accounts.checks).
"""

import logging

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from core.keyring import KEYS_CHECK_TAG

logger = logging.getLogger(__name__)


def refuse_to_start_without_keys_in_use() -> None:
    """Raise ImproperlyConfigured naming every key the database needs that the rings lack; log
    the keys checks' warnings (consent.W001), which do not stop the process."""
    found = checks.run_checks(tags=[KEYS_CHECK_TAG])
    for warning in (message for message in found if not message.is_serious()):
        logger.warning("%s: %s HINT: %s", warning.id, warning.msg, warning.hint)
    errors = [message for message in found if message.is_serious()]
    if errors:
        raise ImproperlyConfigured("\n".join(f"{error.msg}\n  HINT: {error.hint}" for error in errors))
