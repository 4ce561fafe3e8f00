from tests.search.conftest import add_papers, indexed, search_settings

__all__ = ["add_papers", "indexed", "search_settings"]
