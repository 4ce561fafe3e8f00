"""`dailypapers users list|create|moderator|suspend`."""

from __future__ import annotations

import io
import json

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group, Permission, User
from django.core.management import CommandError, call_command

from dailypapers.accounts.models import is_moderator, is_suspended
from dailypapers.community.models import ModerationAction
from tests.community.helpers import make_user
from tests.conftest import run_cli

pytestmark = pytest.mark.django_db


def users(*args: str) -> str:
    out = io.StringIO()
    call_command("users", *args, stdout=out)
    return out.getvalue()


def test_create_list_and_json(cast):
    assert users("create", "newcomer", "new@example.org", "--password", "a-long-pass-phrase-9")
    user = User.objects.get(username="newcomer")
    assert user.check_password("a-long-pass-phrase-9") and not is_moderator(user)
    assert EmailAddress.objects.get(user=user).verified  # the operator vouches for it
    assert "created boss <boss@example.org> (a moderator)" in users(
        "create", "boss", "boss@example.org", "--no-password", "--moderator"
    )
    boss = User.objects.get(username="boss")
    assert not boss.has_usable_password() and is_moderator(boss)

    rows = {r["username"]: r for r in json.loads(users("list", "--json"))}
    assert set(rows) == {"owner", "member", "stranger", "moderator", "newcomer", "boss"}
    assert rows["moderator"]["moderator"] and rows["boss"]["moderator"]
    assert not rows["owner"]["moderator"] and rows["owner"]["suspended"] is None
    assert rows["owner"]["email"] == "owner@example.org"
    assert rows["owner"]["last_login"] is None and rows["owner"]["joined"]
    text = users("list")
    assert text.splitlines()[0].split() == [
        "username",
        "email",
        "joined",
        "last",
        "login",
        "moderator",
        "suspended",
    ]
    assert any(line.startswith("boss ") and "yes" in line for line in text.splitlines())


def test_moderators_through_a_group_or_superuser_are_listed():
    group = Group.objects.create(name="mods")
    group.permissions.add(Permission.objects.get(codename="moderate"))
    make_user("grouped").groups.add(group)
    User.objects.create_superuser("root", "root@example.org", "x")
    make_user("plain")
    rows = {r["username"]: r["moderator"] for r in json.loads(users("list", "--json"))}
    assert rows == {"grouped": True, "root": True, "plain": False}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create", "owner", "x@example.org", "--no-password"), "the user name 'owner' is taken"),
        (("create", "OWNER", "x@example.org", "--no-password"), "is taken"),
        (("create", "other", "OWNER@example.org", "--no-password"), "another user has"),
        (("create", "other", "not-an-email", "--no-password"), "valid email"),
        (("create", "bad name!", "b@example.org", "--no-password"), "valid username"),
        (("create", "x" * 200, "b@example.org", "--no-password"), "at most 150"),
        (("create", "nul\x00l", "b@example.org", "--no-password"), "NUL"),
        (("create", "other", "b@example.org", "--password", "123"), "too short"),
        (("create", "other", "b@example.org"), "--password or --no-password"),
        (("moderator", "nobody"), "there is no user 'nobody'"),
        (("suspend", "nobody"), "there is no user 'nobody'"),
        (("suspend", "owner", "--reason", "x\x00"), "NUL"),
    ],
)
def test_refusals_are_one_line(cast, args, message):
    with pytest.raises(CommandError, match=message):
        users(*args)
    assert User.objects.count() == 4


def test_moderator_given_and_taken(cast):
    assert users("moderator", "owner") == "owner is now a moderator\n"
    assert is_moderator(User.objects.get(username="owner"))
    assert users("moderator", "owner", "--remove") == "owner is no longer a moderator\n"
    assert not is_moderator(User.objects.get(username="owner"))
    User.objects.create_superuser("root", "root@example.org", "x")
    with pytest.raises(CommandError, match="still moderates"):
        users("moderator", "root", "--remove")


def test_suspend_and_lift_keep_the_trail(cast):
    assert users("suspend", "owner", "--reason", "spam") == "suspended owner\n"
    assert is_suspended(cast.owner)
    assert "already suspended" in users("suspend", "owner")
    assert users("suspend", "owner", "--lift") == "lifted the suspension of owner\n"
    assert not is_suspended(cast.owner)
    assert "already not suspended" in users("suspend", "owner", "--lift")
    trail = list(ModerationAction.objects.order_by("created_at", "id"))
    assert [(a.kind, a.target_user_id, a.moderator_id, a.reason) for a in trail] == [
        ("suspend", cast.owner.pk, None, "spam"),
        ("unsuspend", cast.owner.pk, None, ""),
    ]
    suspended = json.loads(users("list", "--json"))
    assert all(r["suspended"] is None for r in suspended)


def test_the_real_command(cli_env):
    created = run_cli(cli_env, "users", "create", "alice", "alice@example.org", "--no-password")
    assert created.returncode == 0, created.stderr
    assert run_cli(cli_env, "users", "suspend", "alice", "--reason", "spam").returncode == 0
    rows = json.loads(run_cli(cli_env, "users", "list", "--json").stdout)
    assert [r["username"] for r in rows] == ["alice"] and rows[0]["suspended"]
    for args in (
        ("users", "create", "alice", "a2@example.org", "--no-password"),
        ("users", "create", "bob", "nope", "--no-password"),
        ("users", "moderator", "nobody"),
    ):
        refused = run_cli(cli_env, *args)
        assert refused.returncode != 0, args
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        assert "Traceback" not in refused.stderr
    assert run_cli(cli_env, "users").returncode != 0  # an action is required
