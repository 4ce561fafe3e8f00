from django.contrib import admin

from .models import Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin[Subscription]):
    list_display = ("email", "frequency", "time_zone", "confirmed_at", "unsubscribed_at")
    list_filter = ("frequency",)
    search_fields = ("email",)
    raw_id_fields = ("user",)
