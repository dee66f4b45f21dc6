"""Answer 503 Service Unavailable, not a 500 and a traceback, while the database is unreachable.

When PostgreSQL restarts or fails over, queries raise ``django.db.OperationalError`` (cannot
connect, connection closed) or ``InterfaceError`` (a connection already closed). That is a
temporary outage, not a bug: the client should retry, and the load balancer should see a 503.
The broken connection is dropped, so the next request connects afresh
(``CONN_HEALTH_CHECKS`` does the same for persistent connections that died between requests).

Responses: ``/api/`` and requests that accept JSON get ``{"detail": ...}``; pages get a short
HTML page. Both carry ``Retry-After`` (seconds).
"""

import logging

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

#: Seconds a client is asked to wait before retrying.
RETRY_AFTER_SECONDS = 5
MESSAGE = "The registry's database is unavailable for a moment. Please retry in a few seconds."
PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Unavailable</title></head>'
    f"<body><h1>Temporarily unavailable</h1><p>{MESSAGE}</p></body></html>"
)


class DatabaseUnavailableMiddleware:
    """Turn a view's ``OperationalError``/``InterfaceError`` into a 503 with ``Retry-After``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        # One line, no traceback: an outage is expected, and its cause is in the message.
        logger.warning("database unavailable (%s): %s", type(exception).__name__, str(exception).strip())
        for connection in connections.all(initialized_only=True):
            connection.close_if_unusable_or_obsolete()
        if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
            response = JsonResponse({"detail": MESSAGE}, status=503)
        else:
            response = HttpResponse(PAGE, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
