from django.urls import path

from . import views

app_name = "library"
urlpatterns = [
    path("saved", views.saved, name="saved"),
    path("saved/papers/<int:paper_id>", views.save, name="save"),
    path("read/papers/<int:paper_id>", views.read, name="read"),
    path("hide", views.hide, name="hide"),
    path("collections", views.collections, name="collections"),
    path("collections/add/<int:paper_id>", views.add_to_collection, name="add"),
    path("collections/<int:pk>/edit", views.edit_collection, name="edit"),
    path("collections/<int:pk>/delete", views.delete_collection, name="delete"),
    path("collections/items/<int:pk>/note", views.note, name="note"),
    path("collections/items/<int:pk>/move", views.move, name="move"),
    path("collections/items/<int:pk>/remove", views.remove, name="remove"),
    path("c/<str:username>/<slug:slug>.bib", views.export, {"fmt": "bib"}, name="export_bib"),
    path("c/<str:username>/<slug:slug>.json", views.export, {"fmt": "json"}, name="export_json"),
    path("c/<str:username>/<slug:slug>", views.collection, name="collection"),
]
