"""The JSON API (django-ninja): Hugging Face-compatible endpoints and our own.

Its OpenAPI schema is at ``/api/openapi.json``; the interactive docs at ``/api/docs`` show
``/api/v1``'s (``dailypapers.api.v1.docs``).
"""

from ninja import NinjaAPI

from .search import router as search_router

api = NinjaAPI(
    title="Daily Papers API",
    description="Hugging Face-compatible paper endpoints over an arXiv catalogue.",
    urls_namespace="api",
    docs_url=None,
)
api.add_router("/papers", search_router)
