"""What we keep about a user beyond Django's auth: the suspension state."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import models


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"profile of {self.user}"

    @property
    def suspended(self) -> bool:
        return self.suspended_at is not None


def is_suspended(user: User | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    return Profile.objects.filter(user_id=user.pk, suspended_at__isnull=False).exists()


def is_moderator(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.has_perm("community.moderate"))


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest of the secret is kept; the secret itself
    is shown once, when the token is made (see ``dailypapers.accounts.tokens``)."""

    class Scope(models.TextChoices):
        READ = "read", "read"
        WRITE = "write", "read and write"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(
        max_length=16, help_text="The secret's first characters, to tell tokens apart."
    )
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the secret.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE
