"""A small fixed-window rate limiter on the Django cache (SQLite files in the data folder in
embedded mode, Redis in production), so every web process shares the counts."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"10/m"``: ten per minute; periods ``s``, ``m``, ``h``, ``d``, optionally with a
        number (``"100/5m"``)."""
        try:
            count, period = text.strip().split("/", 1)
            unit = period[-1]
            factor = int(period[:-1] or 1)
            return cls(int(count), factor * PERIODS[unit])
        except (ValueError, KeyError, IndexError):
            raise ImproperlyConfigured(
                f"a rate limit looks like 10/m (count/period), not {text!r}"
            ) from None

    def describe(self) -> str:
        for unit, name in (("d", "day"), ("h", "hour"), ("m", "minute"), ("s", "second")):
            if self.seconds % PERIODS[unit] == 0:
                n = self.seconds // PERIODS[unit]
                return f"{self.count} per {name}" if n == 1 else f"{self.count} per {n} {name}s"
        return f"{self.count} per {self.seconds} seconds"


def requester(request: HttpRequest) -> str:
    """Whom a limit counts: the member, or a visitor's address."""
    return str(request.user.pk) if request.user.is_authenticated else request.META["REMOTE_ADDR"]


def allow(scope: str, who: str, rate_text: str) -> bool:
    """Count one action by ``who`` in ``scope``; False once the rate is exceeded."""
    rate = Rate.parse(rate_text)
    if rate.count <= 0:
        return True  # 0 turns the limit off
    window = int(time.time() // rate.seconds)
    key = f"rl:{scope}:{who}:{window}"
    cache.add(key, 0, timeout=rate.seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=rate.seconds + 5)
        count = 1
    return count <= rate.count
