"""Personal API tokens: create (the key is returned once), revoke, list, and check a key.

A key is ``air_`` + 43 URL-safe characters (32 random bytes): the prefix makes a leaked
registry key recognisable to secret scanners and to people. Only its SHA-256 is stored, so a
database dump does not hand out working keys; a key that was not saved when it was shown is
lost, and the person creates a new one.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import ApiToken, User

#: The start of every key the registry issues.
KEY_PREFIX = "air_"
#: Characters of the key kept visible (``air_`` and 8 random characters).
VISIBLE_PREFIX_LENGTH = len(KEY_PREFIX) + 8
#: ``last_used_at`` is written at most this often per token (not one write per request).
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(Exception):
    """A key that does not authenticate; ``str()`` is the reason, safe to show to its holder."""


@dataclass(frozen=True)
class CreatedToken:
    """A new token and its key. ``key`` exists only here: it is never stored."""

    token: ApiToken
    key: str


def key_hash(key: str) -> str:
    """The SHA-256 of ``key`` in hex (64 characters), as stored in ``ApiToken.key_hash``."""
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str, expires_at: datetime | None = None) -> CreatedToken:
    """Create a token for ``user`` and return it with its key (the only time the key exists).

    Args:
        user: the owner; the token acts as this person, with their rights.
        name: what it is for (shown on the profile page), at most 100 characters.
        expires_at: when it stops working; ``None`` for never.

    Returns:
        ``CreatedToken(token, key)``.
    """
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=key_hash(key),
        prefix=key[:VISIBLE_PREFIX_LENGTH],
        expires_at=expires_at,
    )
    return CreatedToken(token=token, key=key)


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke ``token`` now; it answers 401 from the next request on.

    Revoking a revoked token changes nothing (its first revocation time is kept). The caller
    decides who may revoke: views fetch the token through ``api_tokens_of(user)``.

    Returns:
        The token, with ``revoked_at`` set.
    """
    if token.revoked_at is None:
        now = timezone.now()
        # Conditional update: two revocations racing keep the first time.
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
        token.refresh_from_db(fields=["revoked_at"])
    return token


def api_tokens_of(user: User):
    """The tokens ``user`` owns, newest first (revoked and expired ones included).

    Returns:
        A queryset of ``ApiToken``; anyone else's tokens are never in it.
    """
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def api_token_authenticate(key: str) -> ApiToken:
    """The active token whose key is ``key``, with its ``user`` loaded; marks it used.

    One query for the lookup, and at most one ``UPDATE`` a minute per token for
    ``last_used_at`` (an unconditional write per API call would make every read a write).

    Raises:
        TokenError: unknown key, revoked or expired token, or a deactivated owner.
    """
    try:
        token = ApiToken.objects.select_related("user").get(key_hash=key_hash(key))
    except ApiToken.DoesNotExist:
        raise TokenError("Invalid token.") from None
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenError("This token has been revoked.")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenError("This token has expired.")
    if not token.user.is_active:
        raise TokenError("User inactive or deleted.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
