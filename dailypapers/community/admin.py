from django.contrib import admin

from .models import DailyEntry


@admin.register(DailyEntry)
class DailyEntryAdmin(admin.ModelAdmin[DailyEntry]):
    list_display = ("paper", "day", "source", "submitted_by", "submitted_by_name")
    list_filter = ("source", "day")
    raw_id_fields = ("paper", "submitted_by")
    search_fields = ("=paper__arxiv_id", "paper__title")
    date_hierarchy = "day"
