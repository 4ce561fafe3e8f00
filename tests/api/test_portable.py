"""Export and import: a filled instance goes out as JSON lines and comes back whole, field by
field (on this database, and into PostgreSQL through the real `dailypapers import`); bad files
are refused with the line at fault and change nothing."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.core.management import CommandError, call_command
from django.db import models
from django.utils import timezone

from dailypapers.accounts.models import ApiToken, Profile
from dailypapers.accounts.tokens import create_token
from dailypapers.api import portable
from dailypapers.catalog.models import Author, Category, Paper, PaperAuthor, PaperCategory
from dailypapers.community.comments import delete_comment, edit_comment, post_comment
from dailypapers.community.links import set_links
from dailypapers.community.models import (
    Comment,
    CommentRevision,
    DailyEntry,
    ModerationAction,
    PaperLinks,
    Vote,
)
from dailypapers.community.moderation import set_comment_hidden, set_entry_hidden, set_suspended
from dailypapers.community.votes import toggle_vote
from dailypapers.digests.models import MailPreference, Notification, SentPaper, Subscription
from dailypapers.digests.services import Options, set_replies, subscribe_member
from dailypapers.library import follows, services
from dailypapers.library.models import (
    Collection,
    CollectionItem,
    Feedback,
    Follow,
    ReaderState,
    ReadMark,
)
from dailypapers.sources.models import Announcement
from tests.community.helpers import make_entry, make_paper, make_user

REPO = Path(__file__).resolve().parents[2]
PG_TARGET = "postgres://postgres@127.0.0.1:5432/dp_export2"

# Every model the file carries; the others are named in NOT_CARRIED, with why.
CARRIED: list[type[models.Model]] = [
    Category,
    Author,
    Paper,
    PaperAuthor,
    PaperCategory,
    Announcement,
    User,
    Group,
    Profile,
    EmailAddress,
    MailPreference,
    ReaderState,
    ApiToken,
    DailyEntry,
    PaperLinks,
    Vote,
    Comment,
    CommentRevision,
    ModerationAction,
    Collection,
    CollectionItem,
    ReadMark,
    Follow,
    Feedback,
    Subscription,
    SentPaper,
    Notification,
]
NOT_CARRIED = {
    "sources.ingestrun": "a log of the site's own reading runs",
    "sources.scheduledjob": "the site's schedule, made by the scheduler",
    "digests.outboxmessage": "mail waiting to go: the new site composes its own",
    "library.libraryimport": "a job's report, kept a while",
    "library.importentry": "a job's report, kept a while",
}


def natural(obj: models.Model | None) -> Any:
    """The name a record goes by in the file."""
    if obj is None:
        return None
    match obj:
        case Paper():
            return obj.arxiv_id
        case Author():
            return obj.name
        case Category():
            return obj.code
        case User():
            return obj.username
        case Group():
            return obj.name
        case Permission():
            return f"{obj.content_type.app_label}.{obj.codename}"
        case Comment():
            return [obj.paper.arxiv_id, obj.author.username, obj.created_at.isoformat()]
        case DailyEntry():
            return obj.paper.arxiv_id
        case Collection():
            return [obj.owner.username, obj.slug]
        case Subscription():
            return obj.email
    raise AssertionError(f"no natural key for {type(obj).__name__}")


def snapshot() -> dict[str, list[str]]:
    """Every row of every carried model, every field but the database's ids (and the search
    index's flag), relations by natural key, many-to-many included; sorted."""
    out: dict[str, list[str]] = {}
    for model in CARRIED:
        rows = []
        for obj in model._default_manager.all():
            row: dict[str, Any] = {}
            for f in model._meta.concrete_fields:
                if f.primary_key and isinstance(f, models.AutoField):
                    continue
                if f.name == "needs_index":
                    continue
                row[f.name] = (
                    natural(getattr(obj, f.name)) if f.is_relation else f.value_from_object(obj)
                )
            for m2m in model._meta.many_to_many:
                row[m2m.name] = sorted(natural(x) for x in getattr(obj, m2m.name).all())
            rows.append(json.dumps(row, sort_keys=True, default=str))
        out[model._meta.label_lower] = sorted(rows)
    return out


def wipe() -> None:
    """Empty the instance of everything the file carries."""
    Notification.objects.all().delete()
    ModerationAction.objects.all().delete()
    CommentRevision.objects.all().delete()
    Comment.objects.update(parent=None)
    Comment.objects.all().delete()
    Subscription.objects.all().delete()
    User.objects.all().delete()
    Group.objects.all().delete()
    Paper.objects.all().delete()
    Author.objects.all().delete()
    Category.objects.all().delete()


def fill() -> dict[str, Any]:
    """One of everything, made through the site's own verbs."""
    owner = make_user("owner")
    member = make_user("member")
    moderator = make_user("moderator", moderator=True)
    troll = make_user("troll")
    owner.groups.add(Group.objects.create(name="editors"))
    EmailAddress.objects.create(user=owner, email="owner@elsewhere.example", verified=False)

    p1 = make_paper(authors=["Ada Lovelace", "Émilie du Châtelet"], doi="10.1/x")
    p2 = make_paper(title="Über $\\mathcal{O}(n)$ «things» 张伟", comments="12 pages")
    p3 = make_paper(categories=["hep-th"])
    p4 = make_paper(authors=["Alan Turing"])
    Author.objects.create(name="Nobody Yet")
    Category.objects.filter(code="cs.LG").update(name="Machine Learning")
    Announcement.objects.create(paper=p1, day=timezone.localdate(), announce_type="new", version=1)

    e1 = make_entry(p1, by=owner)
    e2 = make_entry(p2, by=member, day=timezone.localdate() - timedelta(days=1))
    e3 = make_entry(p3, by=None)
    DailyEntry.objects.filter(pk=e3.pk).update(
        submitted_by_name="akhaliq", source=DailyEntry.Source.HUGGINGFACE
    )
    for user, entry in ((owner, e1), (member, e1), (member, e2), (troll, e2)):
        toggle_vote(user, entry)

    c1 = post_comment(owner, p1, "First **post**")
    post_comment(member, p1, "A reply to @owner", parent=c1)
    edit_comment(owner, c1, "Edited *once*")
    edit_comment(owner, c1, "Edited twice")
    spam = post_comment(troll, p2, "Buy things")
    set_comment_hidden(moderator, spam, True, "spam")
    oops = post_comment(member, p2, "oops")
    delete_comment(member, oops)
    set_entry_hidden(moderator, DailyEntry.objects.get(pk=e3.pk), True, "off-topic")
    set_suspended(moderator, troll, True, "spam")
    set_links(moderator, p1, "https://github.com/acme/one", "https://acme.org/one")
    Paper.objects.filter(pk=p1.pk).update(github_stars=17)

    services.save(owner, p1)
    group = services.create_collection(owner, "Reading group", "Tuesdays", public=True)
    services.add(group, p2)
    services.add(group, p4)
    services.set_note(
        CollectionItem.objects.get(collection=group, paper=p2), "Read §3 <b>first</b>"
    )
    services.save(member, p2)
    services.mark_read(owner, p1)
    services.set_hiding(owner, hide_read=True, hide_saved=False)
    ReaderState.objects.filter(user=owner).update(for_you_seen_at=timezone.now())
    follows.follow_author(owner, Author.objects.get(name="Émilie du Châtelet").pk)
    follows.follow_category(owner, "cs.LG")
    follows.follow_search(owner, "q=attention&sort=votes", "Attention")
    follows.follow_search(member, "q=diffusion", "")
    Feedback.objects.create(user=owner, paper=p3, value=Feedback.Value.MORE)

    sub = subscribe_member(
        owner,
        Options(
            frequency="weekly",
            weekday=2,
            hour=6,
            time_zone="Europe/Paris",
            categories=(Category.objects.get(code="cs.LG"),),
        ),
    )
    assert sub is not None
    Subscription.objects.create(email="anon@example.org", confirmed_at=timezone.now())
    SentPaper.objects.create(subscription=sub, paper=p1, issue_date=timezone.localdate())
    set_replies(member, False)
    create_token(owner, "laptop", ApiToken.Scope.WRITE)
    assert Notification.objects.exists()  # the reply notified the owner
    return {"owner": owner, "member": member, "c1": c1}


def export_text(**kwargs: Any) -> str:
    out = io.StringIO()
    portable.export(out, progress=io.StringIO(), **kwargs)
    return out.getvalue()


def records(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()[1:]]


def test_every_model_is_carried_or_named() -> None:
    """The site's own models, every one: a new model must join the file or say why not."""
    carried = {m._meta.label_lower for m in CARRIED}
    for model in apps.get_models():
        label = model._meta.label_lower
        if not model.__module__.startswith("dailypapers."):
            continue  # Django's and allauth's: users, groups and addresses are carried above
        assert label in carried or label in NOT_CARRIED, f"{label} is neither exported nor named"


@pytest.mark.django_db
def test_round_trip_loses_nothing(tmp_path: Path) -> None:
    fill()
    before = snapshot()
    assert all(before[m._meta.label_lower] for m in CARRIED), [
        k for k, v in before.items() if not v
    ]
    path = tmp_path / "site.jsonl"
    call_command("export", "--with-password-hashes", "-o", str(path), stderr=io.StringIO())
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    assert header["format"] == portable.FORMAT and header["version"] == portable.VERSION
    assert {r["type"] for r in records(path.read_text())} >= set(portable.TYPES) - {"end"}

    wipe()
    assert not any(snapshot()[m._meta.label_lower] for m in (Paper, User, Comment, Vote))
    Paper.objects.update(needs_index=False)
    err = io.StringIO()
    call_command("import", str(path), stderr=err)
    assert "changed this site" in err.getvalue()
    after = snapshot()
    for label, rows in before.items():
        assert after[label] == rows, label
    assert not Paper.objects.filter(needs_index=False).exists()  # the index catches up

    # a second time changes nothing
    outcome = portable.import_file(str(path), progress=io.StringIO())
    assert outcome.total_changed == 0, outcome.changed
    assert snapshot() == before


@pytest.mark.django_db
def test_counters_are_recomputed(tmp_path: Path) -> None:
    fill()
    counts = list(
        DailyEntry.objects.order_by("paper__arxiv_id").values_list(
            "upvotes", "comment_count", "hot"
        )
    )
    path = tmp_path / "site.jsonl"
    path.write_text(export_text())
    DailyEntry.objects.update(upvotes=0, comment_count=0, hot=0)
    portable.import_file(str(path), progress=io.StringIO())
    again = list(
        DailyEntry.objects.order_by("paper__arxiv_id").values_list(
            "upvotes", "comment_count", "hot"
        )
    )
    assert again == counts
    assert (2, 2) in [(u, c) for u, c, _ in counts]  # two votes, two comments shown on p1


@pytest.mark.django_db
def test_without_hashes_passwords_are_unusable(tmp_path: Path) -> None:
    fill()
    text = export_text()
    assert '"password"' not in text and '"digest"' not in text
    assert '"api_token"' not in text
    path = tmp_path / "site.jsonl"
    path.write_text(text)
    wipe()
    portable.import_file(str(path), progress=io.StringIO())
    owner = User.objects.get(username="owner")
    assert not owner.has_usable_password()
    assert owner.groups.filter(name="editors").exists()
    assert (
        Permission.objects.get(codename="moderate")
        in User.objects.get(username="moderator").user_permissions.all()
    )


@pytest.mark.django_db
def test_import_into_a_site_with_data_keeps_both(tmp_path: Path) -> None:
    fill()
    path = tmp_path / "site.jsonl"
    path.write_text(export_text())
    wipe()
    here = make_user("here")
    mine = make_paper()
    post_comment(here, mine, "Already here")
    local = make_user("owner")  # an account of that name here already: left as it is
    local_password = local.password
    services.save(local, mine)
    Collection.objects.filter(owner=local, is_reading_list=True).update(slug="my-list")
    portable.import_file(str(path), progress=io.StringIO())
    # one reading list a reader: the file's items join the one here
    (reading,) = Collection.objects.filter(owner=local, is_reading_list=True)
    assert reading.slug == "my-list"
    assert len(CollectionItem.objects.filter(collection=reading)) == 2
    assert Comment.objects.filter(author=here, body="Already here").exists()
    assert User.objects.get(username="owner").password == local_password
    assert Comment.objects.filter(author__username="owner", body="Edited twice").exists()
    assert Vote.objects.count() == 4


@pytest.mark.django_db
def test_since_takes_only_what_changed() -> None:
    fill()
    cut = timezone.now()
    old = timezone.now() - timedelta(days=30)
    Paper.objects.update(changed_at=old)
    Comment.objects.update(created_at=old, edited_at=None)
    Vote.objects.update(created_at=old)
    fresh = make_paper()
    toggle_vote(User.objects.get(username="member"), make_entry(fresh))
    spam = Comment.objects.get(body="Buy things")
    set_comment_hidden(User.objects.get(username="moderator"), spam, False, "a mistake")
    got = records(export_text(since=cut))
    papers = [r["arxiv_id"] for r in got if r["type"] == "paper"]
    assert papers == [fresh.arxiv_id]
    assert [r["paper"] for r in got if r["type"] == "vote"] == [fresh.arxiv_id]
    # comments a moderator acted on since come along; the others do not
    assert [r["body"] for r in got if r["type"] == "comment"] == ["Buy things"]
    assert [r["reason"] for r in got if r["type"] == "moderation_action"] == ["a mistake"]
    assert "paper" in portable.SINCE_TYPES and "category" not in portable.SINCE_TYPES
    assert {r["type"] for r in got} >= {"category", "profile", "email_address"}


BAD = {
    "not JSON": ("{not json\n", 2),
    "unknown type": ('{"type": "spaceship"}\n', 2),
    "NUL byte": ('{"type": "category", "code": "x\x00"}\n', 2),
    "NUL escape": ('{"type": "category", "code": "x\\u0000"}\n', 2),
    "not an object": ("[1, 2]\n", 2),
    "missing field": ('{"type": "paper", "title": "no id"}\n', 2),
}


def _header(**over: Any) -> str:
    head = {"type": "header", "format": portable.FORMAT, "version": portable.VERSION}
    head.update(over)
    return json.dumps(head) + "\n"


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_records_change_nothing(tmp_path: Path, case: str) -> None:
    fill()
    before = snapshot()
    good = export_text().splitlines(keepends=True)
    line, number = BAD[case]
    # the bad line sits after every good record, so a file read as it goes would have
    # written them all: nothing may be written
    text = "".join(good[:-1]) + line + good[-1]
    number = len(good)
    path = tmp_path / "bad.jsonl"
    path.write_bytes(text.encode())
    with pytest.raises(portable.ImportFailed) as failed:
        portable.import_file(str(path), progress=io.StringIO())
    assert failed.value.line == number
    with pytest.raises(CommandError, match=f"line {number}"):
        call_command("import", str(path), stderr=io.StringIO())
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", 1, "empty"),
        ("hello\n", 1, "not JSON"),
        (_header(version=99), 1, "version 99"),
        (_header(format="other"), 1, "not a dailypapers-export header"),
        (_header() + '{"type": "category", "code": "cs.XX"}\n', 2, "cut short"),
        (_header() + '{"type": "category", "code": "cs.XX"}', 2, "cut short"),
        (_header() + '{"type": "end", "records": 5}\n', 2, "counts 5"),
        (_header() + '{"type": "end", "records": 0}\n{"type": "author"}\n', 3, "after the end"),
        ("\xff\xfe\n", 1, "UTF-8"),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        text.encode("utf-8", "surrogateescape") if text != "\xff\xfe\n" else b"\xff\xfe\n"
    )
    with pytest.raises(portable.ImportFailed, match=words) as failed:
        portable.import_file(str(path), progress=io.StringIO())
    assert failed.value.line == line
    assert not Category.objects.filter(code="cs.XX").exists()


@pytest.mark.django_db
def test_a_dangling_reference_names_its_line(tmp_path: Path) -> None:
    text = (
        _header()
        + '{"type": "vote", "user": "ghost", "paper": "2501.00001"}\n'
        + '{"type": "end", "records": 1}\n'
    )
    path = tmp_path / "bad.jsonl"
    path.write_text(text)
    with pytest.raises(portable.ImportFailed, match="ghost") as failed:
        portable.import_file(str(path), progress=io.StringIO())
    assert failed.value.line == 2


def _postgres() -> bool:
    try:
        import psycopg

        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3, autocommit=True
        ) as conn:
            conn.execute("DROP DATABASE IF EXISTS dp_export2 WITH (FORCE)")
            conn.execute("CREATE DATABASE dp_export2")
    except Exception:
        return False
    return True


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": PG_TARGET,
        "DJANGO_SETTINGS_MODULE": "dailypapers.settings",
        "SECRET_KEY": "test-only-secret-key",
        "REDIS_URL": os.environ.get("EXPORT_TEST_REDIS_URL", "redis://127.0.0.1:6379/10"),
        "DAILYPAPERS_DATA_DIR": os.environ.get("EXPORT_TEST_DATA_DIR", "/tmp/export-pg"),
        "PYTHONPATH": str(REPO),
    }
    return subprocess.run(
        [sys.executable, "-m", "dailypapers.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
@pytest.mark.django_db
def test_into_postgresql_through_the_cli(tmp_path: Path) -> None:
    if not _postgres():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    fill()
    first = export_text(with_password_hashes=True)
    source = tmp_path / "from.jsonl"
    source.write_text(first)
    for args in (("migrate", "--no-input", "-v", "0"), ("import", str(source))):
        done = _cli(*args)
        assert done.returncode == 0, done.stderr[-3000:]
    back = tmp_path / "back.jsonl"
    done = _cli("export", "--with-password-hashes", "-o", str(back))
    assert done.returncode == 0, done.stderr[-3000:]
    a, b = first.splitlines(), back.read_text().splitlines()
    assert len(a) == len(b)
    for mine, theirs in zip(sorted(a[1:]), sorted(b[1:]), strict=True):
        assert json.loads(mine) == json.loads(theirs)
    # and once more: nothing changes
    done = _cli("import", str(source))
    assert done.returncode == 0 and "0 changed this site" in done.stderr, done.stderr[-2000:]
