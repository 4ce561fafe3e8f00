from django.contrib import admin

from .models import Announcement, IngestRun, ScheduledJob


@admin.register(IngestRun)
class IngestRunAdmin(admin.ModelAdmin[IngestRun]):
    list_display = ("source", "status", "started_at", "finished_at", "added", "updated", "rejected")
    list_filter = ("source", "status")
    readonly_fields = [f.name for f in IngestRun._meta.fields]


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin[Announcement]):
    list_display = ("paper", "day", "announce_type", "version", "feed")
    list_filter = ("announce_type", "day")
    raw_id_fields = ("paper",)
    search_fields = ("paper__arxiv_id",)


@admin.register(ScheduledJob)
class ScheduledJobAdmin(admin.ModelAdmin[ScheduledJob]):
    list_display = ("name", "next_run_at", "last_outcome", "last_finished_at", "last_error")
    list_filter = ("last_outcome",)
