from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "dailypapers.digests"
    label = "digests"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from dailypapers.community.models import Comment

        from .notices import on_comment_saved

        post_save.connect(on_comment_saved, sender=Comment, dispatch_uid="digests-notices")
