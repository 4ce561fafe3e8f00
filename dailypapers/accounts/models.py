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
