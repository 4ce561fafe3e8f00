from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "dailypapers.library"
    label = "library"
    verbose_name = "Your papers"
    default_auto_field = "django.db.models.BigAutoField"
