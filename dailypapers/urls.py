from django.contrib import admin
from django.urls import include, path

from dailypapers.api import api
from dailypapers.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("dailypapers.search.urls")),
    path("api/", api.urls),
]
