"""Side effects after a write commits: sent through Celery, never able to change the answer.

A write that committed has happened; a notification that cannot be sent (no broker, no SMTP
server) is logged and retried by the worker, and never turns the write's answer into a 500.
"""

import logging
from smtplib import SMTPException
from typing import Any

from celery import Task
from django.core.mail import send_mail
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

MAIL_MAX_RETRIES = 5
MAIL_RETRY_SECONDS = 60  # doubled at each retry: 1, 2, 4, 8, 16 minutes


def enqueue_on_commit(task: Task, *args: str) -> None:
    """Send ``task(*args)`` once the current transaction commits (at once outside one).

    Arguments are ids, never pod data. A failure to enqueue (the broker is down) or, with eager
    Celery, of the task itself is logged with the task's name and ids, and swallowed.
    """

    def send() -> None:
        try:
            task.delay(*args)
        except (BrokerError, OSError) as exc:  # the broker is down: one line, not a traceback a row
            logger.error("Side effect %s%r could not be queued (%s); not sent", task.name, args, exc)
        except Exception:
            logger.exception("Side effect %s%r after a committed write failed", task.name, args)

    transaction.on_commit(send)


def deliver_mail(task: Task, *, subject: str, message: str, to: str) -> None:
    """Send one notification e-mail from inside ``task``, retrying later if the server fails.

    On a worker, an SMTP or network failure retries the task with a doubling delay, at most
    MAIL_MAX_RETRIES times. Run eagerly (no broker) there is nobody to come back later: the
    failure is raised to enqueue_on_commit, which logs it.
    """
    try:
        send_mail(subject=subject, message=message, from_email=None, recipient_list=[to])
    except (SMTPException, OSError) as exc:
        if task.request.is_eager or task.request.retries >= MAIL_MAX_RETRIES:
            raise
        logger.warning("%s: mail server failed (%s); retrying", task.name, type(exc).__name__)
        raise task.retry(exc=exc, countdown=MAIL_RETRY_SECONDS * 2**task.request.retries) from None


def task_options() -> dict[str, Any]:
    """Options of a notification task: ids in, nothing kept, retried by deliver_mail."""
    return {"bind": True, "ignore_result": True, "max_retries": MAIL_MAX_RETRIES}
