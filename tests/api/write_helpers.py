"""What the /api/v1 write tests share: a member's token and a client that sends it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from dailypapers.accounts.models import ApiToken
from dailypapers.accounts.tokens import create_token


def token_for(user: User, scope: str = ApiToken.Scope.WRITE) -> str:
    return create_token(user, f"{scope} token of {user.get_username()}", scope)[1]


@dataclass
class Api:
    """``client`` calls ``/api/v1`` with ``secret`` as the bearer token."""

    client: Client
    secret: str | None

    def call(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        if self.secret is not None:
            extra.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.secret}")
        if body is not None:
            extra["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
            extra["content_type"] = "application/json"
        return getattr(self.client, method)(f"/api/v1{path}", **extra)

    def post(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.call("post", path, body, **extra)

    def put(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.call("put", path, body, **extra)

    def patch(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.call("patch", path, body, **extra)

    def delete(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.call("delete", path, body, **extra)

    def get(self, path: str, **extra: Any) -> Any:
        return self.call("get", path, **extra)


def refusal(response: Any, status: int, code: str) -> str:
    """Check a JSON refusal's status and code; return its message."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    return str(body["message"])


def shows(page: Any, message: str) -> bool:
    """Whether the page's HTML shows ``message`` (escaped as templates escape it)."""
    return escape(message) in page.content.decode()
