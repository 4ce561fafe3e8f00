"""The API answers as its OpenAPI schema says: schemathesis, every check, against a served
instance with papers in its index.

Per operation: a few hundred generated requests (valid and invalid parameters, fixed seed),
each checked for a server error, a status or content type the schema does not list, a body
that does not match the schema for its status, invalid input accepted, and the like."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

pytestmark = pytest.mark.django_db(transaction=True)

# Requests that fit the schema and are still refused (400), as Hugging Face refuses them: a
# date in the future, the 31st of a short month or week 53 of a year of 52; a cursor that
# fits the pattern but was never given.
REFUSED_THOUGH_VALID = {
    "/api/daily_papers": ("is in the future", "does not exist"),
    "/api/papers": ("Invalid cursor",),
}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_answer_is_documented(live_server, indexed, search_settings, mode):
    search_settings.RATE_API = "100000/m"
    search_settings.FETCH_MISSING_PAPERS = False
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the schema lists no operation"
    # Hugging Face's contract has both /api/papers/search and /api/papers/{paper_id}: a
    # generated id "search" is the search's own address, and the search answers it.
    literal = {operation.path for operation in operations if "{" not in operation.path}
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and operation.path == "/api/papers/{paper_id}":
            continue  # any text is an id to look up (unknown: 404): no value is invalid

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=300,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            assume(case.formatted_path == case.path or case.formatted_path not in literal)
            reasons = REFUSED_THOUGH_VALID.get(case.operation.path)
            if mode is GenerationMode.POSITIVE and reasons:
                response = case.call()
                case.validate_response(response, excluded_checks=[positive_data_acceptance])
                if response.status_code == 400:
                    assert any(why in response.json()["error"] for why in reasons), response.text
            else:
                case.call_and_validate()

        check()


def test_statuses_are_documented(client):
    responses = client.get("/api/openapi.json").json()["paths"]["/api/papers/search"]["get"][
        "responses"
    ]
    assert {"200", "400", "429", "503"} <= set(responses)


def test_over_the_rate_is_a_429_with_retry_after(client, indexed, search_settings):
    from django.core.cache import cache

    cache.clear()
    search_settings.RATE_API = "3/m"
    answers = [client.get("/api/papers/search", {"q": "graph"}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1]["Retry-After"] == "60"
    assert answers[-1].json() == {"error": "Too many requests: at most 3 per minute."}
    cache.clear()


def test_a_bad_parameter_is_a_400_in_hugging_faces_shape(client, indexed):
    answer = client.get("/api/papers/search", {"q": "graph", "limit": "many"})
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("limit: ")
    assert answer["X-Error-Message"] == answer.json()["error"]


@pytest.mark.django_db
def test_a_unicode_username_fits_the_schema_as_a_json_schema_reader_reads_it(client):
    """Usernames may be any letters ("Ölaf"); the schema's pattern must allow them to a
    reader for whom a word-character class is ASCII (JSON Schema's regular expressions), as
    the server does: the fuzzer sent ``submitter=Ö`` as invalid and got a 200."""
    import re

    from tests.community.helpers import make_entry, make_user

    olaf = make_user("Ölaf")
    make_entry(by=olaf)
    parameters = client.get("/api/openapi.json").json()["paths"]["/api/daily_papers"]["get"]
    (submitter,) = [p for p in parameters["parameters"] if p["name"] == "submitter"]
    pattern = submitter["schema"].get("pattern") or submitter["schema"]["anyOf"][0]["pattern"]
    assert re.search(pattern, "Ölaf", re.ASCII)
    assert not re.search(pattern, "two words", re.ASCII)
    assert not re.search(pattern, "<script>", re.ASCII)
    answer = client.get("/api/daily_papers", {"submitter": "Ölaf"})
    assert answer.status_code == 200
    assert [item["submittedBy"]["user"] for item in answer.json()] == ["Ölaf"]
    assert client.get("/api/daily_papers", {"submitter": "two words"}).status_code == 400
