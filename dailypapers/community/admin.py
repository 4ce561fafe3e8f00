from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from dailypapers.accounts.models import Profile

from . import moderation
from .models import Comment, CommentRevision, DailyEntry, ModerationAction, Vote


@admin.register(DailyEntry)
class DailyEntryAdmin(admin.ModelAdmin[DailyEntry]):
    list_display = ("paper", "day", "source", "submitted_by", "upvotes", "hidden")
    list_filter = ("source", "hidden", "day")
    raw_id_fields = ("paper", "submitted_by")
    search_fields = ("=paper__arxiv_id", "paper__title")
    date_hierarchy = "day"
    readonly_fields = ("upvotes", "hot", "comment_count", "hidden")
    actions = ["unfeature", "refeature"]

    @admin.action(description="Unfeature (audited; nothing is deleted)")
    def unfeature(self, request: HttpRequest, queryset: QuerySet[DailyEntry]) -> None:
        for entry in queryset:
            moderation.set_entry_hidden(request.user, entry, True, "from the admin")  # type: ignore[arg-type]

    @admin.action(description="Feature again")
    def refeature(self, request: HttpRequest, queryset: QuerySet[DailyEntry]) -> None:
        for entry in queryset:
            moderation.set_entry_hidden(request.user, entry, False, "from the admin")  # type: ignore[arg-type]


class CommentRevisionInline(admin.TabularInline[CommentRevision, Comment]):
    """Earlier versions of a comment, oldest first; kept as they were, never changed."""

    model = CommentRevision
    fields = ("number", "written_at", "replaced_at", "body")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin[Comment]):
    list_display = ("id", "paper", "author", "created_at", "edited_at", "hidden", "deleted_at")
    list_filter = ("hidden",)
    raw_id_fields = ("paper", "author", "parent")
    search_fields = ("body", "author__username", "=paper__arxiv_id")
    readonly_fields = ("body", "body_html", "hidden", "deleted_at", "edited_at")
    inlines = [CommentRevisionInline]
    actions = ["hide_comments", "show_comments"]

    def has_delete_permission(self, request: HttpRequest, obj: Comment | None = None) -> bool:
        return False  # moderation hides; nothing a user wrote is lost

    @admin.action(description="Hide (audited)")
    def hide_comments(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        for comment in queryset:
            moderation.set_comment_hidden(request.user, comment, True, "from the admin")  # type: ignore[arg-type]

    @admin.action(description="Show again")
    def show_comments(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        for comment in queryset:
            moderation.set_comment_hidden(request.user, comment, False, "from the admin")  # type: ignore[arg-type]


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin[ModerationAction]):
    list_display = ("created_at", "moderator", "kind", "target_user", "comment", "entry", "reason")
    list_filter = ("kind",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin[Vote]):
    list_display = ("user", "paper", "created_at")
    raw_id_fields = ("user", "paper")


# Suspensions are moderation (audited there), so the profile's admin is the community's.
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
