"""How long a filing takes to answer must not say whether its national number has a pod here."""

from collections.abc import Iterator
from contextlib import contextmanager
from time import monotonic, sleep

from django.conf import settings


@contextmanager
def answered_no_sooner_than_the_floor() -> Iterator[None]:
    """Around the filing of an access request (the API's and the console's), outside any
    transaction: when the filing is done sooner than ACCESS_REQUEST_ANSWER_FLOOR_SECONDS after
    it began, wait out the rest, whatever its outcome. A request held for a number with no pod
    does less than one delivered into a pod; answered at the same floor, the two take the same
    time unless the delivery itself takes longer than the floor."""
    started = monotonic()
    try:
        yield
    finally:
        left = started + settings.ACCESS_REQUEST_ANSWER_FLOOR_SECONDS - monotonic()
        if left > 0:
            sleep(left)
