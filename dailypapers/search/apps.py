from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "dailypapers.search"
    label = "search"

    def ready(self) -> None:
        from dailypapers.catalog.signals import papers_changed
        from dailypapers.community.signals import votes_changed

        from . import keeper

        papers_changed.connect(keeper.on_papers_changed, dispatch_uid="search-keeper")
        votes_changed.connect(keeper.on_votes_changed, dispatch_uid="search-keeper-votes")
