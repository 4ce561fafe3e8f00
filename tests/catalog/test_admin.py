"""The admin shows and searches the catalogue; only staff get in."""

import pytest
from django.contrib.auth import get_user_model

from dailypapers.catalog.upsert import upsert_papers

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers(make_record):
    upsert_papers(
        [
            make_record(arxiv_id="2501.00001", title="Diffusion models for proteins"),
            make_record(arxiv_id="2501.00002", title="Scaling laws revisited"),
        ],
        source="test",
    )


def test_staff_can_browse_and_search_the_catalogue(client, admin_user, papers):
    client.force_login(admin_user)
    page = client.get("/admin/catalog/paper/?q=diffusion").content.decode()
    assert "Diffusion models for proteins" in page
    assert "Scaling laws revisited" not in page
    by_id = client.get("/admin/catalog/paper/?q=2501.00002").content.decode()
    assert "Scaling laws revisited" in by_id
    authors = client.get("/admin/catalog/author/?q=lovelace").content.decode()
    assert "Ada Lovelace" in authors
    from dailypapers.catalog.models import Paper

    pk = Paper.objects.get(arxiv_id="2501.00001").pk
    detail = client.get(f"/admin/catalog/paper/{pk}/change/")
    assert detail.status_code == 200
    assert "Alan Turing" in detail.content.decode()


def test_a_member_who_is_not_staff_is_kept_out(client, papers):
    user = get_user_model().objects.create_user("member", password="pw-123456789")
    client.force_login(user)
    response = client.get("/admin/catalog/paper/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
