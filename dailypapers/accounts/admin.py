from django.contrib import admin

from .models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin[Profile]):
    list_display = ("user", "suspended_at", "suspended_reason")
    list_filter = ("suspended_at",)
    raw_id_fields = ("user",)
    search_fields = ("user__username", "user__email")
