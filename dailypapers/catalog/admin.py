from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Author, Category, Paper, PaperAuthor, PaperCategory


class PaperAuthorInline(admin.TabularInline[PaperAuthor, Paper]):
    model = PaperAuthor
    raw_id_fields = ("author",)
    extra = 0


class PaperCategoryInline(admin.TabularInline[PaperCategory, Paper]):
    model = PaperCategory
    extra = 0


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin[Paper]):
    list_display = ("arxiv_id", "title", "primary_category", "version", "submitted", "updated")
    list_filter = ("primary_category", "needs_index", "last_source")
    # "=arxiv_id" is an exact (indexed) match; title words use a contains search.
    search_fields = ("=arxiv_id", "title")
    date_hierarchy = "submitted"
    readonly_fields = ("created_at", "changed_at", "author_names", "categories", "code_links")
    inlines = (PaperAuthorInline, PaperCategoryInline)
    show_full_result_count = False
    list_per_page = 50


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin[Author]):
    list_display = ("name",)
    search_fields = ("name",)
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Author]:
        return super().get_queryset(request).order_by()


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ("code", "name")
    search_fields = ("code", "name")
