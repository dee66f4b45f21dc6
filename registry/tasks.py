"""Background work of the registry. Tasks take ids (JSON only) and call services; each periodic
job (config.settings.CELERY_BEAT_SCHEDULE) also runs from a management command."""

import smtplib

from celery import shared_task

#: Errors worth retrying: the mail server or the network is down for a while.
RETRY_ON = (smtplib.SMTPException, ConnectionError, TimeoutError, RuntimeError)


@shared_task(
    autoretry_for=RETRY_ON,
    retry_backoff=30,  # 30 s, 60 s, 120 s, ... with jitter
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=8,
    acks_late=True,
)
def notification_deliver(notification_id: int) -> bool:
    """Send one notification from the outbox (``registry.services.notifications``)."""
    from .services.notifications import notification_deliver as deliver

    return deliver(notification_id)


@shared_task
def notifications_deliver_pending() -> int:
    """Send what is still pending in the outbox (every minute)."""
    from .services.notifications import notifications_deliver_pending as deliver_pending

    return deliver_pending()


@shared_task
def review_expiry_sweep() -> dict:
    """Expire approvals past their expiry and warn owners of those expiring soon (daily)."""
    from .services.sweeps import review_expiry_sweep as sweep

    return sweep().as_dict()


@shared_task
def credential_rotation_sweep() -> dict:
    """Tell holders of credentials due for rotation or expiring soon (daily)."""
    from .services.sweeps import credential_rotation_sweep as sweep

    return sweep().as_dict()


@shared_task
def lead_digests_send() -> int:
    """Each team lead's weekly digest of what needs attention."""
    from .services.sweeps import lead_digests_send as send

    return send()


@shared_task
def library_sweep() -> dict:
    """Flag library entries whose approval lapsed, whose owner left or whose use case is
    suspended; clear fixed ones; unlist those flagged longer than LIBRARY_UNLIST_AFTER_DAYS (hourly)."""
    from .services.library import library_sweep as sweep

    return sweep().as_dict()


@shared_task
def dashboard_refresh() -> list[str]:
    """Recompute the shared dashboards into the cache (every ``DASHBOARD_REFRESH_SECONDS``)."""
    from .selectors.dashboard import dashboard_refresh as refresh

    return refresh()
