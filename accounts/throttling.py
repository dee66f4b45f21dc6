"""Hooks for django-axes (login throttling): the client's address, and the lockout response.

Settings (``config/settings.py``): ``AXES_FAILURE_LIMIT`` failures for one username from one
address lock that pair out for ``AXES_COOLOFF_TIME``.
"""

import math

from axes.utils import reset as axes_reset
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

#: Said on the page and in the API's answer. It never names the username, so a lockout does
#: not tell whether an account exists (every username is throttled alike).
LOCKOUT_MESSAGE = "Too many failed login attempts. Try again in {minutes} minutes."


def client_ip(request: HttpRequest) -> str | None:
    """The address a login attempt came from (``AXES_CLIENT_IP_CALLABLE``).

    ``REMOTE_ADDR``, unless ``TRUSTED_PROXY_COUNT`` reverse proxies append to
    ``X-Forwarded-For``: then the entry the outermost trusted proxy added (the N-th from the
    right). Entries left of it are whatever the client sent, so they are never used.

    Returns:
        An IP address as a string, or ``None`` when the request has none.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def cooloff_seconds() -> int:
    """The lockout's length in seconds (``AXES_COOLOFF_TIME``)."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_message() -> str:
    """The sentence a locked-out person reads (page and API)."""
    return LOCKOUT_MESSAGE.format(minutes=math.ceil(cooloff_seconds() / 60))


def failures_reset(request: HttpRequest, username: str) -> int:
    """Forget the failed logins of ``username`` from this request's address, as django-axes does
    itself after a login through Django's ``login()`` (``AXES_RESET_ON_SUCCESS``). For logins
    that create no session, such as the API's token login.

    Returns:
        The number of attempt records removed (0 when the setting is off).
    """
    if not settings.AXES_RESET_ON_SUCCESS:
        return 0
    return axes_reset(ip=client_ip(request), username=username)


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The answer to a login refused by the lockout (``AXES_LOCKOUT_CALLABLE``): HTTP 429.

    API paths get ``{"detail": message}`` as JSON (the token login view may already have built
    that answer, which is kept); pages get ``accounts/locked_out.html``. Both carry a
    ``Retry-After`` header in seconds.
    """
    if original_response is not None and original_response.status_code == 429:
        return original_response
    retry_after = str(cooloff_seconds())
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": lockout_message()}, status=429)
    else:
        response = render(
            request,
            "accounts/locked_out.html",
            {"message": lockout_message(), "minutes": math.ceil(cooloff_seconds() / 60)},
            status=429,
        )
    response["Retry-After"] = retry_after
    return response
