from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from .models import OutboxMessage, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin[Subscription]):
    list_display = (
        "email",
        "frequency",
        "time_zone",
        "hour",
        "confirmed_at",
        "paused_at",
        "hard_bounces",
        "unsubscribed_at",
    )
    list_filter = ("frequency",)
    search_fields = ("email",)
    raw_id_fields = ("user",)
    readonly_fields = ("paused_reason", "hard_bounces")


def decoded_text(row: OutboxMessage) -> str:
    """The stored message as a reader would see it: its headers, then each text part
    decoded (the HTML part as its source)."""
    message = email.message_from_bytes(row.raw(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    head = "\n".join(f"{name}: {value}" for name, value in message.items())
    parts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            assert isinstance(part, EmailMessage)
            parts.append(f"--- {part.get_content_type()} ---\n{part.get_content()}")
    return head + "\n\n" + "\n\n".join(parts)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin[OutboxMessage]):
    list_display = (
        "to_email",
        "kind",
        "issue_date",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "subject",
    )
    list_filter = ("kind", "state", "issue_date")
    search_fields = ("to_email", "subject", "message_id")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    actions = ["retry"]
    exclude = ("message",)
    readonly_fields = (
        "kind",
        "key",
        "subscription",
        "user",
        "issue_date",
        "to_email",
        "subject",
        "message_id",
        "time_zone",
        "paper_count",
        "state",
        "attempts",
        "next_attempt_at",
        "claimed_by",
        "claimed_at",
        "sent_at",
        "last_error",
        "created_at",
        "message_text",
    )

    @admin.display(description="message")
    def message_text(self, row: OutboxMessage) -> str:
        return decoded_text(row)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Retry the selected failed messages")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = queryset.filter(state=OutboxMessage.State.FAILED).update(
            state=OutboxMessage.State.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            claimed_by="",
            claimed_at=None,
        )
        self.message_user(
            request, f"{count} failed message(s) will be sent again.", messages.SUCCESS
        )
