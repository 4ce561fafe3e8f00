"""Staff see the readers' collections, read marks, follows, feedback and choices."""

from __future__ import annotations

import pytest

from dailypapers.library.models import Collection
from dailypapers.library.services import add, create_collection, mark_read, set_hiding
from tests.community.helpers import make_paper

pytestmark = pytest.mark.django_db


def test_staff_browse_every_library_model(client, admin_user, cast):
    mine = create_collection(cast.owner, "Admin visible")
    paper = make_paper(title="In the admin")
    add(mine, paper)
    mark_read(cast.owner, paper)
    set_hiding(cast.owner, hide_read=True, hide_saved=False)
    client.force_login(admin_user)
    for model in ("collection", "collectionitem", "readmark", "follow", "feedback", "readerstate"):
        assert client.get(f"/admin/library/{model}/").status_code == 200, model
    assert "Admin visible" in client.get("/admin/library/collection/?q=admin").content.decode()
    detail = client.get(f"/admin/library/collection/{mine.pk}/change/").content.decode()
    assert paper.arxiv_id in detail or str(paper.pk) in detail
    assert Collection.objects.count() == 1


def test_members_are_kept_out(client, cast):
    client.force_login(cast.member)
    assert client.get("/admin/library/collection/").status_code == 302
