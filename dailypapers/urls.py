from django.contrib import admin
from django.urls import include, path, re_path

from dailypapers.api import api, reader_data
from dailypapers.api.v1 import v1
from dailypapers.api.v1.base import unrouted as api_unrouted
from dailypapers.api.v1.docs import docs as api_docs
from dailypapers.community import browse, feeds, following, moderation_views, profiles, views
from dailypapers.core import views as core
from dailypapers.library.imports import views as imports

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", core.healthz, name="healthz"),
    path("papers/date/<str:day>", views.daily, name="daily"),
    path("papers/week", views.week_of_day, name="this_week"),
    path("papers/week/<str:slug>", views.week, name="week"),
    path("papers/month", views.month_of_day, name="this_month"),
    path("papers/month/<str:slug>", views.month, name="month"),
    path("papers/trending", views.trending, name="trending"),
    path("papers/feed.rss", feeds.DailyFeed(), name="feed_daily_rss"),
    path("papers/feed.atom", feeds.atom(feeds.DailyFeed)(), name="feed_daily_atom"),
    path("papers/week/<str:slug>/feed.rss", feeds.WeekFeed(), name="feed_week_rss"),
    path("papers/week/<str:slug>/feed.atom", feeds.atom(feeds.WeekFeed)(), name="feed_week_atom"),
    path("papers/trending/feed.rss", feeds.TrendingFeed(), name="feed_trending_rss"),
    path("papers/trending/feed.atom", feeds.atom(feeds.TrendingFeed)(), name="feed_trending_atom"),
    path("papers/month/<str:slug>/feed.rss", feeds.MonthFeed(), name="feed_month_rss"),
    path(
        "papers/month/<str:slug>/feed.atom", feeds.atom(feeds.MonthFeed)(), name="feed_month_atom"
    ),
    path("papers/<path:arxiv_id>", views.paper, name="paper"),
    path("submit", views.submit, name="submit"),
    path("vote/<int:entry_id>", views.vote, name="vote"),
    path("links/<int:paper_id>", views.paper_links, name="paper_links"),
    path("comments/on/<int:paper_id>", views.comment, name="comment"),
    path("comments/<int:comment_id>/edit", views.edit, name="comment_edit"),
    path("comments/<int:comment_id>/delete", views.delete, name="comment_delete"),
    path(
        "moderate/comments/<int:comment_id>",
        moderation_views.moderate_comment,
        name="moderate_comment",
    ),
    path("moderate/entries/<int:entry_id>", moderation_views.moderate_entry, name="moderate_entry"),
    path("moderate/users/<str:username>", moderation_views.moderate_user, name="moderate_user"),
    path("authors/by-name", browse.author_by_name, name="author_by_name"),
    path("authors/<str:ref>/feed.rss", feeds.AuthorFeed(), name="feed_author_rss"),
    path("authors/<str:ref>/feed.atom", feeds.atom(feeds.AuthorFeed)(), name="feed_author_atom"),
    path("authors/<str:ref>", browse.author, name="author"),
    path("categories/<path:code>/feed.rss", feeds.CategoryFeed(), name="feed_category_rss"),
    path(
        "categories/<path:code>/feed.atom",
        feeds.atom(feeds.CategoryFeed)(),
        name="feed_category_atom",
    ),
    path("categories/<path:code>", browse.category, name="category"),
    path(
        "c/<str:username>/<slug:slug>/feed.rss",
        feeds.CollectionFeed(),
        name="feed_collection_rss",
    ),
    path(
        "c/<str:username>/<slug:slug>/feed.atom",
        feeds.atom(feeds.CollectionFeed)(),
        name="feed_collection_atom",
    ),
    path("following", following.following, name="following"),
    path("following/authors/<int:author_id>", following.follow_author, name="follow_author"),
    path("following/categories/<path:code>", following.follow_category, name="follow_category"),
    path("following/<int:follow_id>/unfollow", following.unfollow, name="unfollow"),
    path("import", imports.new_import, name="import"),
    path("import/<int:import_id>", imports.report, name="import_report"),
    path("settings/data", reader_data.download, name="my_data"),
    path("u/<str:username>", profiles.profile, name="profile"),
    path("u/<str:username>/feed.rss", feeds.UserFeed(), name="feed_user_rss"),
    path("u/<str:username>/feed.atom", feeds.atom(feeds.UserFeed)(), name="feed_user_atom"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("dailypapers.search.urls")),
    path("", include("dailypapers.library.urls")),
    path("", include("dailypapers.digests.urls")),
    path("", include("dailypapers.digests.notice_urls")),
    path("", include("dailypapers.accounts.urls")),
    path("api/docs", api_docs, name="api_docs"),
    path("api/v1/", v1.urls),
    path("api/", api.urls),
    re_path(r"^api/(?P<rest>(?s:.*))$", api_unrouted),
]

# Error pages in the site's layout (templates/404.html, 403.html, 429.html); the 500 page is
# rendered without the request's context, as the failure may be the database.
handler500 = "dailypapers.core.views.server_error"
