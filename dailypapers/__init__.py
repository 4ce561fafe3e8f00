"""Daily Papers: a self-hostable daily feed, search and digest of arXiv papers."""

__version__ = "0.1.0"
