"""What credentials tells the apps above it, without knowing them (they import us, never the reverse)."""

from django.dispatch import Signal

# Sent by statuslist.set_status inside its transaction, after a credential's status bit changed,
# with keyword arguments ``issuer`` (the Organisation), ``credential_id``, ``purpose``
# ("revocation" or "suspension"), ``value`` (the bit's new value) and ``reason`` (the issuer's
# credentials.models.StatusReason code, or ""). Receivers run in that
# transaction: one that raises rolls the change back, so a change and its record go together.
credential_status_changed = Signal()
