"""``GET /healthz``: is this web process able to serve? For load balancers and monitors.

The database is required: without it nothing works, so a failed check answers 503 and the
load balancer takes the process out of rotation. The broker is not: work is enqueued after
its transaction commits and the pages keep serving, so a broker outage alone answers 200
with ``"status": "degraded"`` for monitors to alert on.
"""

import logging
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db import Error as DatabaseError
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

#: Seconds allowed for one broker connection attempt; two attempts stay well under the
#: load balancer's usual 2 s probe timeout.
BROKER_CONNECT_TIMEOUT = 0.5
#: Seconds allowed for the whole broker check, retries included.
BROKER_CHECK_TIMEOUT = 1.0


def database_status(alias: str = DEFAULT_DB_ALIAS) -> str:
    """Run ``SELECT 1`` on the database connection ``alias``.

    Returns:
        ``"ok"``, or ``"down"`` when connecting or querying raised a ``django.db.Error``
        (the error is logged as a warning, never returned to the caller).
    """
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("healthz: database %r is down: %s", alias, exc)
        # A persistent connection that failed mid-life must not be reused by the next request.
        connections[alias].close_if_unusable_or_obsolete()
        return "down"
    return "ok"


def broker_status(broker_url: str | None = None) -> str:
    """Open (then release) a connection to the Celery broker.

    Args:
        broker_url: the broker to check; ``settings.CELERY_BROKER_URL`` when None.

    Returns:
        ``"not configured"`` when no broker URL is set (tasks run inline), ``"ok"`` when a
        connection was established within ``BROKER_CHECK_TIMEOUT`` seconds, ``"down"``
        otherwise. Never raises for a broker failure.
    """
    broker_url = settings.CELERY_BROKER_URL if broker_url is None else broker_url
    if not broker_url:
        return "not configured"
    from config.celery import app  # imported here: the health check must not need Celery to load

    transport_options = {}
    if broker_url.startswith(("redis://", "rediss://")):
        # Bound every socket operation, not only the connect: a hung Redis must not hang us.
        transport_options = {"socket_timeout": BROKER_CONNECT_TIMEOUT}
    connection = app.connection_for_write(
        url=broker_url, connect_timeout=BROKER_CONNECT_TIMEOUT, transport_options=transport_options
    )
    try:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_CHECK_TIMEOUT)
    except Exception as exc:  # kombu raises transport-specific errors; any failure means "down".
        logger.warning("healthz: broker is down: %s", exc)
        return "down"
    finally:
        connection.release()
    return "ok"


@never_cache
@require_safe
def healthz(request):
    """Answer the database's and the broker's state as JSON; no login required.

    Returns:
        200 ``{"status": "ok" | "degraded", "database": "ok", "broker": "ok" | "not configured"
        | "down", "duration_ms": float}``; 503 with ``"status": "down"`` and
        ``"database": "down"`` when the database cannot be queried.
    """
    started = time.monotonic()
    database = database_status()
    broker = broker_status()
    if database != "ok":
        status, http_status = "down", 503
    elif broker == "down":
        status, http_status = "degraded", 200
    else:
        status, http_status = "ok", 200
    body = {
        "status": status,
        "database": database,
        "broker": broker,
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
    }
    return JsonResponse(body, status=http_status)
