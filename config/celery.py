"""The Celery application. Without REDIS_URL tasks run eagerly, in the caller's process."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def survive_broker_outages() -> None:
    """Keep the worker alive when the Redis broker goes away while tasks are running.

    Celery 5.7.0 (with kombu 5.7.0, the latest releases) handles a lost broker connection by
    collecting it (which detaches the Redis transport: ``transport.client = None``) and then
    closing it. Closing the channel restores the messages of tasks still running
    (``acks_late``), and kombu's Redis channel, rebuilding its client from the detached
    transport, raises ``AttributeError: 'NoneType' object has no attribute 'hostname'`` in
    ``Channel._connparams``. That is not one of the transport's connection errors, so
    ``ignore_errors`` lets it through and the worker exits ("Unrecoverable error").

    Here a channel whose transport is detached raises redis' ConnectionError instead: what every
    caller (channel close, ack, reject) already expects from a broker that is gone, and handles by
    logging and reconnecting. The running task goes on; its message is restored by Redis after the
    visibility timeout, or, if Redis lost it, a stalled batch is resent by the sweeper (beat).
    Idempotent; harmless once kombu fixes it (the detached case then never reaches here).
    """
    from kombu.transport import redis as redis_transport
    from redis.exceptions import ConnectionError as RedisConnectionError

    channel: Any = redis_transport.Channel  # _connparams is private: not in the type stubs
    if getattr(channel._connparams, "survives_detached_transport", False):
        return
    connparams = channel._connparams

    def _connparams(self, asynchronous=False):
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("The broker connection of this channel is closed.")
        return connparams(self, asynchronous=asynchronous)

    _connparams.survives_detached_transport = True  # type: ignore[attr-defined]
    channel._connparams = _connparams


survive_broker_outages()

app = Celery("citizen_vault")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _refuse_to_start_without_keys_in_use(**kwargs: Any) -> None:
    """A worker whose key rings lack a key the database still needs does not start."""
    import django

    django.setup()
    from django.core.exceptions import ImproperlyConfigured

    from config.startup import refuse_to_start_without_keys_in_use

    try:
        refuse_to_start_without_keys_in_use()
    except ImproperlyConfigured as exc:  # Celery logs and swallows a handler's exceptions
        raise SystemExit(f"Citizen Vault worker refused to start:\n{exc}") from exc
