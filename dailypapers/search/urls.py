from django.urls import path

from . import foryou_views, views

app_name = "search"
urlpatterns = [
    path("search", views.search, name="search"),
    path("search/follow", views.follow_search, name="follow"),
    path("for-you", foryou_views.for_you, name="for_you"),
    path("for-you/feedback", foryou_views.feedback, name="for_you_feedback"),
    path("for-you/papers", foryou_views.add_papers, name="for_you_papers"),
    path("for-you/follow", foryou_views.follow, name="for_you_follow"),
]
