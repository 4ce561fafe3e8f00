from django.contrib import admin

from .models import IngestRun


@admin.register(IngestRun)
class IngestRunAdmin(admin.ModelAdmin[IngestRun]):
    list_display = ("source", "status", "started_at", "finished_at", "added", "updated", "rejected")
    list_filter = ("source", "status")
    readonly_fields = [f.name for f in IngestRun._meta.fields]
