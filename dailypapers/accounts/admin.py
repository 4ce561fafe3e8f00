from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from dailypapers.community import moderation

from .models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin[Profile]):
    list_display = ("user", "suspended_at", "suspended_reason")
    list_filter = ("suspended_at",)
    raw_id_fields = ("user",)
    search_fields = ("user__username", "user__email")
    readonly_fields = ("suspended_at", "suspended_reason")
    actions = ["suspend", "unsuspend"]

    @admin.action(description="Suspend (audited)")
    def suspend(self, request: HttpRequest, queryset: QuerySet[Profile]) -> None:
        for profile in queryset.select_related("user"):
            moderation.set_suspended(request.user, profile.user, True, "from the admin")  # type: ignore[arg-type]

    @admin.action(description="Lift the suspension")
    def unsuspend(self, request: HttpRequest, queryset: QuerySet[Profile]) -> None:
        for profile in queryset.select_related("user"):
            moderation.set_suspended(request.user, profile.user, False, "from the admin")  # type: ignore[arg-type]
