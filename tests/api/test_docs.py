"""The API documents itself: OpenAPI schema and interactive docs at /api/docs."""

import pytest

pytestmark = pytest.mark.django_db


def test_openapi_schema_lists_the_search(client):
    schema = client.get("/api/openapi.json").json()
    search = schema["paths"]["/api/papers/search"]["get"]
    assert {p["name"] for p in search["parameters"]} == {"q", "limit", "mode"}
    assert client.get("/api/docs").status_code == 200
