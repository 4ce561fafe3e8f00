"""Personal API tokens: made, found by their secret, revoked.

A token's secret is ``dp_`` and 40 URL-safe characters; the database keeps its SHA-256
digest only, so a leaked database leaks no token. Finding a token by its secret is one
indexed look-up. ``last_used_at`` is written at most once a minute per token, so a busy
script does not turn every read into a write."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from .models import ApiToken, is_suspended

PREFIX = "dp_"
MAX_TOKENS = 50
TOUCH_EVERY = timedelta(minutes=1)


class TokenRefused(Exception):
    """Why a token could not be made (a clear message for the page)."""


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(user: User, name: str, scope: str = ApiToken.Scope.READ) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it with its secret, which is never shown again."""
    name = " ".join(name.replace("\x00", "").split())[:100]
    if not name:
        raise TokenRefused("Give the token a name, to know later what uses it.")
    if scope not in ApiToken.Scope.values:
        raise TokenRefused("A token is either read-only or read and write.")
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_TOKENS:
        raise TokenRefused(f"At most {MAX_TOKENS} tokens at once: revoke one first.")
    secret = PREFIX + secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        scope=scope,
        prefix=secret[: len(PREFIX) + 6],
        digest=digest_of(secret),
    )
    return token, secret


def authenticate(secret: str) -> ApiToken | None:
    """The live token with this secret whose owner may act, or None."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest_of(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or is_suspended(token.user):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def tokens_of(user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))


def revoke(user: User, token_id: int) -> bool:
    """Revoke one of ``user``'s tokens; False when it is not theirs or already revoked."""
    return bool(
        ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )
