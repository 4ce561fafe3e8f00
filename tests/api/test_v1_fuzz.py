# ruff: noqa: F811 (the data fixture, imported, is each test's argument)
"""/api/v1 answers as its OpenAPI schema says: schemathesis, every check, against a served
instance with data (papers in the index, a featured day, comments, collections), with and
without a personal token.

Per operation: a few hundred generated requests (valid and invalid parameters, fixed seed),
each checked for a server error, a status or content type the schema does not list, a body
that does not match the schema for its status, invalid input accepted, and the like."""

from __future__ import annotations

import pytest
import schemathesis
from django.db import connection
from hypothesis import HealthCheck, assume, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config._checks import PositiveDataAcceptanceConfig

from tests.api.v1_data import v1_data  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

# Per operation and mode, with a token on every other operation: 250 requests an operation
# on SQLite; 100 on PostgreSQL, where the same schema is checked again for what the database
# changes (a whole run of 250 takes about six minutes on two cores, once is enough).
CASES = 125 if connection.vendor == "sqlite" else 50


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_v1_answer_is_documented(live_server, v1_data, mode):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    # A string the schema allows may still be refused with 400: a cursor this site did not
    # make (``bad_cursor``), text with a NUL character (``bad_request``). Every other check
    # keeps its defaults.
    acceptance = PositiveDataAcceptanceConfig()
    acceptance.expected_statuses = [*acceptance.expected_statuses, "400"]
    schema.config.checks.positive_data_acceptance = acceptance
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    bearer = {"Authorization": f"Bearer {v1_data.token}"}
    nothing_to_violate = []
    # a generated id may spell a sibling's address (/papers/{id} and /papers/search): that
    # request is the sibling's, checked against the sibling's schema
    literal = {operation.path for operation in operations if "{" not in operation.path}
    for number, operation in enumerate(operations):
        try:
            run_cases(operation, mode, bearer if number % 2 else None, literal)
        except Unsatisfiable:
            # Only possible for invalid requests: an operation whose one parameter takes any
            # text (a paper's id) has no invalid value to send.
            assert mode == GenerationMode.NEGATIVE, operation.label
            nothing_to_violate.append(operation.label)
    assert len(nothing_to_violate) <= 2, nothing_to_violate


def run_cases(operation, mode, headers, literal=frozenset()):
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=CASES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        assume(case.formatted_path == case.path or case.formatted_path not in literal)
        case.call_and_validate(headers=headers)

    check()


def test_every_operation_declares_its_statuses(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path, methods in paths.items():
        for method, operation in methods.items():
            declared = set(operation["responses"])
            assert {"400", "422", "429"} <= declared, (method, path)
            assert declared & {"200", "201"}, (method, path)  # its success (201: made)
            if method == "get":
                assert "404" in declared, path
                if "security" not in operation:  # public reads are conditional
                    assert "304" in declared, path
