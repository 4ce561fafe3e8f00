from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "dailypapers.community"
    label = "community"

    def ready(self) -> None:
        from typing import Any

        from dailypapers.sources.signals import featurings_read

        from .submissions import record_featurings

        def on_featurings(sender: Any, featurings: Any, **kwargs: Any) -> None:
            record_featurings(featurings)

        featurings_read.connect(
            on_featurings, dispatch_uid="community.record_featurings", weak=False
        )
