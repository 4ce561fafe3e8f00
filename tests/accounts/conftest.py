from __future__ import annotations

import pytest

# The same cast of users and fresh cache as the community tests.
from tests.community.conftest import _fresh_cache, cast  # noqa: F401


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
