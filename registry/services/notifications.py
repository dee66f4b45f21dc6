"""The notification outbox (``registry.models.Notification``): write, then deliver.

``notification_queue`` writes a row in the caller's transaction and, once that commits, asks
Celery to deliver it. A broker outage loses nothing: publishing fails fast, is logged, and the
row waits for ``notifications_deliver_pending`` (beat, every minute; or ``manage.py
deliver_notifications``). ``notification_deliver`` locks the row (skipping rows another worker
holds) and marks it sent in the same transaction as the send, so no email goes out twice.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from ..models import Notification

logger = logging.getLogger(__name__)


def _enqueue(notification_id: int) -> None:
    from ..tasks import notification_deliver

    try:
        notification_deliver.delay(notification_id)
    except Exception as error:  # the broker is down or unreachable: the outbox keeps it
        logger.warning("notification %s left in the outbox: %s", notification_id, type(error).__name__)


def notification_queue(*, to, subject: str, body: str, kind: str = Notification.Kind.OTHER, use_case=None):
    """Put one email in the outbox and deliver it after the current transaction commits.

    Args:
        to: a User (skipped when inactive or without an email) or an email address.
        subject, body: plain text; ``body`` gets a footer with the registry's address.
        kind: a ``Notification.Kind``.
        use_case: the use case it is about, if any.

    Returns:
        The Notification, or None when there is nobody to write to.
    """
    if hasattr(to, "email"):
        if not to.is_active or not to.email:
            return None
        recipient, email = to, to.email
    else:
        recipient, email = None, to
    notification = Notification.objects.create(
        kind=kind,
        recipient=recipient,
        to_email=email,
        subject=subject[:300],
        body=f"{body.rstrip()}\n\n-- \nAI use-case registry · {settings.SITE_URL}/\n",
        use_case=use_case,
    )
    transaction.on_commit(lambda: _enqueue(notification.pk))
    return notification


def notification_deliver(notification_id: int) -> bool:
    """Send one pending notification.

    Returns:
        True if this call sent it; False if it was already sent or is being sent elsewhere.

    Raises:
        Whatever the mail backend raises (the task retries with backoff); the attempt is counted.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, sent_at__isnull=True)
            .first()
        )
        if notification is None:
            return False
        try:
            send_mail(notification.subject, notification.body, None, [notification.to_email])
        except Exception as error:  # recorded below, after the lock is released
            failure = f"{type(error).__name__}: {error}"[:500]
        else:
            notification.sent_at = timezone.now()
            notification.attempts += 1
            notification.save(update_fields=["sent_at", "attempts"])
            return True
    Notification.objects.filter(pk=notification_id).update(
        attempts=notification.attempts + 1, last_error=failure
    )
    raise RuntimeError(f"notification {notification_id} not delivered: {failure}")


def notifications_deliver_pending(*, limit: int = 500) -> int:
    """Send pending notifications, oldest first. Returns how many this call sent; failures
    stay pending for the next run."""
    sent = 0
    pending = (
        Notification.objects.filter(sent_at__isnull=True).order_by("created_at").values_list("pk", flat=True)
    )
    for notification_id in list(pending[:limit]):
        try:
            sent += notification_deliver(notification_id)
        except RuntimeError:
            logger.warning("notification %s still pending", notification_id)
    return sent
