"""The API answers as its OpenAPI schema says: schemathesis, every check, against a served
instance with papers in its index.

Per operation: a few hundred generated requests (valid and invalid parameters, fixed seed),
each checked for a server error, a status or content type the schema does not list, a body
that does not match the schema for its status, invalid input accepted, and the like."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_answer_is_documented(live_server, indexed, search_settings, mode):
    search_settings.RATE_API = "100000/m"
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the schema lists no operation"
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=300,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            case.call_and_validate()

        check()


def test_statuses_are_documented(client):
    responses = client.get("/api/openapi.json").json()["paths"]["/api/papers/search"]["get"][
        "responses"
    ]
    assert {"200", "422", "429", "503"} <= set(responses)


def test_over_the_rate_is_a_429_with_retry_after(client, indexed, search_settings):
    from django.core.cache import cache

    cache.clear()
    search_settings.RATE_API = "3/m"
    answers = [client.get("/api/papers/search", {"q": "graph"}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1]["Retry-After"] == "60"
    assert answers[-1].json() == {"detail": "Too many requests: at most 3 per minute."}
    cache.clear()


def test_a_bad_parameter_is_a_422(client, indexed):
    answer = client.get("/api/papers/search", {"q": "graph", "limit": "many"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "limit"]
