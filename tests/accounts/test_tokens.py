"""Personal API tokens: the secret is shown once and kept only as a digest; a revoked token,
a suspended owner or a forged secret authenticates nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from dailypapers.accounts.models import ApiToken, Profile
from dailypapers.accounts.tokens import (
    TokenRefused,
    authenticate,
    create_token,
    digest_of,
    revoke,
    tokens_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada() -> User:
    return User.objects.create_user("ada", "ada@example.org", "pw")


def test_secret_is_kept_only_as_digest(ada: User) -> None:
    token, secret = create_token(ada, "  my   script ", ApiToken.Scope.WRITE)
    assert secret.startswith("dp_") and len(secret) > 40
    row = ApiToken.objects.get(pk=token.pk)
    assert row.name == "my script"
    assert row.digest == digest_of(secret) and secret not in (row.digest, row.prefix)
    assert secret.startswith(row.prefix)
    found = authenticate(secret)
    assert found is not None and found.pk == token.pk and found.can_write
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


@pytest.mark.parametrize("forged", ["", "dp_", "dp_x" * 100, "nope", "dp_\x00abc"])
def test_forged_secrets_authenticate_nothing(ada: User, forged: str) -> None:
    create_token(ada, "t")
    assert authenticate(forged) is None


def test_revoked_and_suspended_tokens_stop_working(ada: User) -> None:
    token, secret = create_token(ada, "t")
    other = User.objects.create_user("bob", "bob@example.org", "pw")
    assert not revoke(other, token.pk)  # not theirs
    assert authenticate(secret) is not None
    Profile.objects.update_or_create(user=ada, defaults={"suspended_at": timezone.now()})
    assert authenticate(secret) is None
    Profile.objects.filter(user=ada).update(suspended_at=None)
    assert revoke(ada, token.pk)
    assert authenticate(secret) is None and tokens_of(ada) == []
    assert not revoke(ada, token.pk)  # already revoked


@pytest.mark.parametrize("name", ["", "   ", "\x00"])
def test_a_token_needs_a_name(ada: User, name: str) -> None:
    with pytest.raises(TokenRefused):
        create_token(ada, name)


def test_unknown_scope_refused(ada: User) -> None:
    with pytest.raises(TokenRefused):
        create_token(ada, "t", "admin")
