"""Structured logs: one JSON object per line, each carrying the request id (or Celery task id).

``settings.LOGGING`` wires these in: :class:`ContextFilter` on the console handler stamps every
record with ``request_id`` (from :mod:`config.request_id`'s context variable) and ``task_id`` /
``task_name`` (the Celery task being run, if any); :class:`JsonFormatter` writes the record as
JSON (``LOG_FORMAT=json``, the default with DEBUG off) and :class:`TextFormatter` as one readable
line (``LOG_FORMAT=text``, the default with DEBUG on). :class:`AccessLogMiddleware` writes one
line per request on the ``access`` logger.

A standard-library ``logging.Formatter`` subclass rather than a package: the shape is fixed and
small, and it keeps the fields a log line may carry to an explicit list (:data:`EXTRA_FIELDS`),
so a caller's ``extra={"request": ...}`` (Django's ``django.request`` logger passes the request
object) never dumps headers, cookies or a body into the logs.
"""

import json
import logging
import time
from datetime import UTC, datetime

from config.request_id import current_request_id

#: The ``extra=`` attributes copied into a JSON line when a record has them; anything else a
#: caller passes is left out (see the module docstring).
EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "status_code", "task_id", "task_name")

#: URL arguments that are secrets (the incident acknowledgement link's token): the access line
#: shows ``<token>`` in their place.
SECRET_URL_KWARGS = ("token",)

access_logger = logging.getLogger("access")


def _current_task():
    """The Celery task being executed in this thread, or None (also when Celery is absent)."""
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover - Celery is a dependency; logging must not need it
        return None
    # A Proxy: false when no task is executing (a web request, a management command).
    return current_task if current_task else None


class ContextFilter(logging.Filter):
    """Adds ``request_id``, ``task_id`` and ``task_name`` to every record; never filters out.

    ``request_id`` is ``""`` outside a request (from the context variable, else from the
    ``request`` a record carries); ``task_id`` and ``task_name`` are ``""`` outside
    a Celery task (an eagerly run task inside a request has both ids).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            # Django logs a 4xx/5xx on "django.request" after the middleware chain has returned
            # (the context variable is reset by then) but passes the request, which has the id.
            record.request_id = current_request_id() or getattr(
                getattr(record, "request", None), "request_id", ""
            )
        if not getattr(record, "task_id", ""):
            task = _current_task()
            request = getattr(task, "request", None) if task else None
            record.task_id = (getattr(request, "id", None) or "") if request else ""
            record.task_name = (getattr(task, "name", None) or "") if task else ""
        return True


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON.

    Keys: ``time`` (ISO 8601, UTC, milliseconds), ``level``, ``logger``, ``message`` (the
    formatted message), ``request_id`` (``""`` outside a request), then whichever of
    :data:`EXTRA_FIELDS` the record carries with a non-empty value, and ``exc_info`` (the
    formatted traceback) when the record has one. Values that are not JSON types are written
    with ``str()``.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or current_request_id(),
        }
        for field in EXTRA_FIELDS:
            value = getattr(record, field, None)
            if value not in (None, ""):
                entry[field] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """One readable line: ``time level logger [request_id task=task_id] message`` (then the
    traceback, if any); ``-`` stands for no request id."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        context = getattr(record, "request_id", "") or current_request_id() or "-"
        task_id = getattr(record, "task_id", "")
        if task_id:
            context += f" task={task_id}"
        return f"{self.formatTime(record)} {record.levelname} {record.name} [{context}] {record.message}"


class AccessLogMiddleware:
    """Logs one line per request on the ``access`` logger (INFO; WARNING for 5xx).

    Fields: ``method``, ``path``, ``status`` and ``duration_ms`` (float, milliseconds, time
    spent below this middleware). The path has no query string (a search may hold anything a
    user pasted, including a key) and shows :data:`SECRET_URL_KWARGS` as ``<name>``. Neither
    headers nor bodies are logged. Must come after ``RequestIdMiddleware`` so that the line
    carries the request id.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        status = response.status_code
        path = _loggable_path(request)
        access_logger.log(
            logging.WARNING if status >= 500 else logging.INFO,
            "%s %s %s %.1fms",
            request.method,
            path,
            status,
            duration_ms,
            extra={"method": request.method, "path": path, "status": status, "duration_ms": duration_ms},
        )
        return response


def _loggable_path(request) -> str:
    """``request.path`` with the values of :data:`SECRET_URL_KWARGS` replaced by ``<name>``."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    for name in SECRET_URL_KWARGS:
        value = match.kwargs.get(name) if match else None
        if value:
            path = path.replace(str(value), f"<{name}>")
    return path
