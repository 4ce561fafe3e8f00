"""The JSON API (django-ninja): Hugging Face-compatible endpoints and our own.

Its OpenAPI schema is at ``/api/openapi.json``; the interactive docs at ``/api/docs`` show
``/api/v1``'s (``dailypapers.api.v1.docs``). The Hugging Face-compatible
endpoints answer an error as Hugging Face does: ``{"error": "..."}``, the same text in the
``X-Error-Message`` header (what ``huggingface_hub`` shows), and 400 for a bad parameter.
"""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError

from .daily import router as daily_router
from .hf import HfError
from .papers import router as papers_router
from .search import router as search_router

api = NinjaAPI(
    title="Daily Papers API",
    description="Hugging Face-compatible paper endpoints over an arXiv catalogue.",
    urls_namespace="api",
    docs_url=None,
)
api.add_router("/daily_papers", daily_router)
api.add_router("/papers", search_router)  # before /papers/{id}: "search" is no id
api.add_router("/papers", papers_router)


def hf_error(
    request: HttpRequest, status: int, message: str, headers: dict[str, str] | None = None
) -> HttpResponse:
    response = api.create_response(request, {"error": message}, status=status)
    header = "".join(ch if ch.isprintable() else " " for ch in message)
    response["X-Error-Message"] = header.encode("ascii", "backslashreplace").decode()[:500]
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(HfError)
def _refused(request: HttpRequest, exc: HfError) -> HttpResponse:
    return hf_error(request, exc.status, exc.message, exc.headers)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = []
    for error in exc.errors[:5]:
        where = ".".join(str(part) for part in error.get("loc", ())[1:]) or "request"
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return hf_error(request, 400, "; ".join(problems) or "Invalid request")
