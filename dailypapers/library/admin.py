from django.contrib import admin

from .models import Collection, CollectionItem, Feedback, Follow, ReaderState, ReadMark


class CollectionItemInline(admin.TabularInline[CollectionItem, Collection]):
    model = CollectionItem
    fields = ("position", "paper", "note", "source", "added_at")
    readonly_fields = ("added_at",)
    raw_id_fields = ("paper",)
    extra = 0


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin[Collection]):
    list_display = ("name", "owner", "is_reading_list", "is_public", "updated_at")
    list_filter = ("is_reading_list", "is_public")
    search_fields = ("name", "slug", "=owner__username")
    raw_id_fields = ("owner",)
    readonly_fields = ("is_reading_list", "created_at", "updated_at")
    inlines = [CollectionItemInline]


@admin.register(CollectionItem)
class CollectionItemAdmin(admin.ModelAdmin[CollectionItem]):
    list_display = ("paper", "collection", "position", "source", "added_at")
    list_filter = ("source",)
    search_fields = ("=paper__arxiv_id", "collection__name", "=collection__owner__username")
    raw_id_fields = ("collection", "paper")


@admin.register(ReadMark)
class ReadMarkAdmin(admin.ModelAdmin[ReadMark]):
    list_display = ("user", "paper", "read_at")
    search_fields = ("=user__username", "=paper__arxiv_id")
    raw_id_fields = ("user", "paper")


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin[Follow]):
    list_display = ("user", "kind", "author", "category", "label", "created_at")
    list_filter = ("kind",)
    search_fields = ("=user__username", "author__name", "query", "label")
    raw_id_fields = ("user", "author", "category")


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin[Feedback]):
    list_display = ("user", "paper", "value", "created_at")
    list_filter = ("value",)
    search_fields = ("=user__username", "=paper__arxiv_id")
    raw_id_fields = ("user", "paper")


@admin.register(ReaderState)
class ReaderStateAdmin(admin.ModelAdmin[ReaderState]):
    list_display = ("user", "hide_read", "hide_saved", "for_you_seen_at")
    list_filter = ("hide_read", "hide_saved")
    search_fields = ("=user__username",)
    raw_id_fields = ("user",)
