"""The subscribing pages. The confirm, manage and unsubscribe paths are the ones the mails
carry (``links.CONFIRM_PATH`` and the others): they must not change."""

from django.urls import path

from . import views

app_name = "digests"
urlpatterns = [
    path("digest/subscribe", views.subscribe, name="subscribe"),
    path("digest/check-your-inbox", views.check_inbox, name="check_inbox"),
    path("digest/confirm/<str:token>", views.confirm, name="confirm"),
    path("digest/manage/<str:signed>", views.manage, name="manage"),
    path("digest/manage/<str:signed>/preview", views.manage_preview, name="manage_preview"),
    path("digest/unsubscribe/<str:signed>", views.unsubscribe, name="unsubscribe"),
    path("settings/email", views.email_settings, name="settings"),
    path("settings/email/preview", views.settings_preview, name="settings_preview"),
]
