from django.urls import path

from . import feeds, foryou_views, views

app_name = "search"
urlpatterns = [
    path("search", views.search, name="search"),
    path("search/help", views.search_help, name="help"),
    path("search/follow", views.follow_search, name="follow"),
    path("search/feed.rss", feeds.search_feed, {"kind": "rss"}, name="feed_rss"),
    path("search/feed.atom", feeds.search_feed, {"kind": "atom"}, name="feed_atom"),
    path("for-you", foryou_views.for_you, name="for_you"),
    path("for-you/feedback", foryou_views.feedback, name="for_you_feedback"),
    path("for-you/papers", foryou_views.add_papers, name="for_you_papers"),
    path("for-you/follow", foryou_views.follow, name="for_you_follow"),
    path("for-you/feed", foryou_views.feed_address, name="for_you_feed_address"),
    path(
        "for-you/feed/<str:secret>.rss",
        feeds.for_you_feed,
        {"kind": "rss"},
        name="for_you_feed_rss",
    ),
    path(
        "for-you/feed/<str:secret>.atom",
        feeds.for_you_feed,
        {"kind": "atom"},
        name="for_you_feed_atom",
    ),
]
