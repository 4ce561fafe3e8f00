"""/api/v1's writes answer as their OpenAPI schema says: schemathesis, every check, against
a served instance, with a read-and-write token and data to act on (featured papers, a
comment, a collection).

Per operation: generated requests (valid and invalid bodies and parameters, fixed seed),
each checked for a server error, a status or content type the schema does not list, a body
that does not match the schema for its status, and the like. One check is left out,
``positive_data_acceptance``: a write refuses some schema-valid input by the page's rules
(a name that is only spaces, an arXiv id whose month does not exist, a comment over the
site's length), with 422 and the page's words, as the pages do."""

from __future__ import annotations

import pytest
import schemathesis
from django.db import connection
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from dailypapers.catalog.models import Category
from dailypapers.community.models import Comment
from dailypapers.library import services as library
from tests.community.helpers import make_entry, make_paper, make_user

from .write_helpers import token_for

pytestmark = pytest.mark.django_db(transaction=True)

# 250 requests per operation on SQLite (about four minutes on two cores); 65 on PostgreSQL,
# where the same schema is checked again for what the database changes. The seed is fixed,
# so a run repeats exactly.
CASES = (
    {GenerationMode.POSITIVE: 150, GenerationMode.NEGATIVE: 100}
    if connection.vendor == "sqlite"
    else {GenerationMode.POSITIVE: 40, GenerationMode.NEGATIVE: 25}
)


@pytest.fixture
def writer(settings):
    settings.FETCH_MISSING_PAPERS = False
    settings.RATE_SUBMIT = settings.RATE_VOTE = settings.RATE_COMMENT = "0/m"  # off
    settings.RATE_API = "0/m"
    settings.SUBMIT_DAILY_CAP = 0
    owner = make_user("owner")
    entry = make_entry(make_paper(arxiv_id="2501.00001"))
    make_entry(make_paper(arxiv_id="hep-th/9901001"))
    make_paper(arxiv_id="2501.00002")
    Category.objects.get_or_create(code="cs.LG")
    Comment.objects.create(paper=entry.paper, author=owner, body="first", body_html="<p>first</p>")
    collection = library.create_collection(owner, "Theory")
    library.add(collection, entry.paper)
    return token_for(owner)


@pytest.mark.parametrize("mode", list(CASES))
def test_every_write_answer_is_documented(live_server, writer, fresh_cache, mode):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().definition.raw.get("tags") == ["writing"]
    ]
    assert len(operations) >= 20, [op.label for op in operations]
    headers = {"Authorization": f"Bearer {writer}"}
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=CASES[mode],
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        check()
