"""Small typed helpers that read settings from environment variables.

Every variable read through these helpers is recorded in ``ENV_VARS`` so that a test can
check that each one is documented in ``docs/configuration.md``. A value that cannot be read
stops the start with an error naming its variable. The two URLs are parsed by maintained
single-purpose libraries: dj-database-url for the database, dj-email-url for mail.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured

ENV_VARS: dict[str, str] = {}
"""Name of each environment variable read so far -> its default, as text."""

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str, default: str) -> str:
    ENV_VARS[name] = default
    return os.environ.get(name, default)


def env_str(name: str, default: str = "") -> str:
    return _raw(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = _raw(name, "true" if default else "false").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = _raw(name, str(default)).strip()
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_float(name: str, default: float) -> float:
    value = _raw(name, str(default)).strip()
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _raw(name, default).strip()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """A list given as words separated by commas or spaces."""
    value = _raw(name, " ".join(default))
    return [item for item in value.replace(",", " ").split() if item]


def env_path(name: str, default: Path) -> Path:
    return Path(_raw(name, str(default))).expanduser().resolve()


def is_set(name: str) -> bool:
    """Whether the variable is set to a non-empty value (and record that it is read)."""
    ENV_VARS.setdefault(name, "")
    return bool(os.environ.get(name, "").strip())


def env_database_url(name: str, *, conn_max_age: int) -> dict[str, Any]:
    """Django's DATABASES entry from a URL such as ``postgres://user:password@host/name``;
    connections are checked before reuse."""
    try:
        return dict(
            dj_database_url.parse(env_str(name), conn_max_age=conn_max_age, conn_health_checks=True)
        )
    except ValueError as error:  # the URL is not repeated: it may hold a password
        raise ImproperlyConfigured(f"{name} is not a database URL: {error}") from None


OLD_MAIL_SCHEMES = {"consolemail": "console", "smtp+tls": "submission", "smtp+ssl": "smtp"}
"""The schemes earlier versions read (django-environ's), still taken so a working
installation keeps working after an upgrade."""


def env_email_url(name: str, default: str) -> dict[str, Any]:
    """Django's EMAIL_* settings from a URL such as ``submission://user:password@host``."""
    value = env_str(name, default)
    scheme, sep, rest = value.partition("://")
    if sep and scheme in OLD_MAIL_SCHEMES:
        value = f"{OLD_MAIL_SCHEMES[scheme]}://{rest}"
        if scheme == "smtp+ssl":
            value += ("&" if "?" in rest else "?") + "ssl=true"
    try:
        config: dict[str, Any] = dj_email_url.parse(value)
    except ValueError as error:  # a port or timeout that is not a number
        raise ImproperlyConfigured(f"{name} is not a mail URL: {error}") from None
    if "EMAIL_BACKEND" not in config:
        schemes = ", ".join(f"{scheme}://" for scheme in dj_email_url.SCHEMES)
        raise ImproperlyConfigured(
            f"{name} must start with one of {schemes}, not {value.split(':', 1)[0]!r}"
        )
    return config
