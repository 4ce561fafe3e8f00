from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "dailypapers.search"
    label = "search"

    def ready(self) -> None:
        from dailypapers.catalog.signals import papers_changed

        from . import tasks

        papers_changed.connect(tasks.on_papers_changed, dispatch_uid="search-keeper")
