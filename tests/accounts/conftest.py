from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.community.helpers import make_user


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: start each test from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cast(db):
    """owner (submits, comments), member (another confirmed user), stranger (signed up, email
    not confirmed), moderator."""
    return SimpleNamespace(
        owner=make_user("owner"),
        member=make_user("member"),
        stranger=make_user("stranger", confirmed=False),
        moderator=make_user("moderator", moderator=True),
    )


@pytest.fixture
def inbox(settings):
    """Mail goes over real SMTP to a server on loopback; the test reads what it received."""
    from .smtp import start

    controller, box, port = start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield box
    controller.stop()
