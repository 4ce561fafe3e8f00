"""The turn-off link of reply and mention mails (the paths notices.OFF_PATH names)."""

from django.urls import path

from . import notice_views

app_name = "notices"

urlpatterns = [
    path("digest/notices/off/<str:signed>", notice_views.notices_off, name="off"),
]
