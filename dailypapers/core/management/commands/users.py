"""`dailypapers users list|create|moderator|suspend`: the operator's view of the members."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Permission, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q

from dailypapers.accounts.models import Profile, is_moderator
from dailypapers.community.moderation import set_suspended

MAX_REASON = 2000


def _plain(text: str, what: str) -> str:
    if "\x00" in text:
        raise CommandError(f"the {what} contains a NUL character")
    return text.strip()


def find_user(username: str) -> User:
    user = User.objects.filter(username=_plain(username, "user name")).first()
    if user is None:
        raise CommandError(f"there is no user {username!r}")
    return user


def moderate_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="community", codename="moderate")


def moderator_ids() -> set[int]:
    """Who holds ``community.moderate`` (directly, through a group, or as a superuser), in
    one query: what ``is_moderator`` answers for each active user."""
    perm = moderate_permission()
    holders = User.objects.filter(
        Q(is_superuser=True) | Q(user_permissions=perm) | Q(groups__permissions=perm),
        is_active=True,
    )
    return set(holders.values_list("pk", flat=True))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def user_rows() -> list[dict[str, Any]]:
    moderators = moderator_ids()
    suspended = dict(
        Profile.objects.filter(suspended_at__isnull=False).values_list("user_id", "suspended_at")
    )
    return [
        {
            "username": u.username,
            "email": u.email,
            "joined": u.date_joined.isoformat(),
            "last_login": _iso(u.last_login),
            "moderator": u.pk in moderators,
            "suspended": _iso(suspended.get(u.pk)),
        }
        for u in User.objects.order_by("date_joined", "pk")
    ]


def format_rows(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no users yet\n"
    head = ("username", "email", "joined", "last login", "moderator", "suspended")
    table = [
        (
            r["username"],
            r["email"] or "-",
            r["joined"][:10],
            (r["last_login"] or "never")[:10],
            "yes" if r["moderator"] else "",
            (r["suspended"] or "")[:10],
        )
        for r in rows
    ]
    every = [head, *table]
    widths = [max(len(row[i]) for row in every) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in every]
    return "\n".join(line.rstrip() for line in lines) + "\n"


class Command(BaseCommand):
    help = (
        "Manage members: list them, create one, make or unmake a moderator, suspend or lift "
        "a suspension (recorded in the moderation trail)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        listing = actions.add_parser("list", help="every user, oldest first")
        listing.add_argument("--json", action="store_true", help="print JSON")

        create = actions.add_parser("create", help="create a member (email confirmed)")
        create.add_argument("username")
        create.add_argument("email")
        secret = create.add_mutually_exclusive_group()
        secret.add_argument("--password", help="the password (default: asked for, twice)")
        secret.add_argument(
            "--no-password", action="store_true", help="no password: log-in by reset only"
        )
        create.add_argument("--moderator", action="store_true", help="make a moderator too")

        moderator = actions.add_parser("moderator", help="give or take community.moderate")
        moderator.add_argument("username")
        moderator.add_argument("--remove", action="store_true", help="take it away")

        suspend = actions.add_parser("suspend", help="suspend a member, or lift it")
        suspend.add_argument("username")
        suspend.add_argument("--reason", default="", help="why (kept in the moderation trail)")
        suspend.add_argument("--lift", action="store_true", help="lift the suspension")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._handle(options)
        except DatabaseError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CommandError(
                f"the database is not ready ({first}): run `dailypapers migrate` first"
            ) from None

    def _handle(self, options: dict[str, Any]) -> None:
        action = options["action"]
        if action == "list":
            rows = user_rows()
            self.stdout.write(json.dumps(rows, indent=2) if options["json"] else format_rows(rows))
        elif action == "create":
            self._create(options)
        elif action == "moderator":
            self._moderator(find_user(options["username"]), remove=options["remove"])
        else:
            self._suspend(find_user(options["username"]), options["reason"], lift=options["lift"])

    def _create(self, options: dict[str, Any]) -> None:
        username = _plain(options["username"], "user name")
        email = _plain(options["email"], "email address")
        candidate = User(username=username, email=email)
        try:
            candidate.clean_fields(exclude=["password"])
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(_first(exc)) from None
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"the user name {username!r} is taken")
        if (
            User.objects.filter(email__iexact=email).exists()
            or EmailAddress.objects.filter(email__iexact=email).exists()
        ):
            raise CommandError(f"another user has the address {email!r}")
        password = None if options["no_password"] else self._password(options, candidate)
        try:
            with transaction.atomic():
                user = User.objects.create_user(username, email, password)
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
                if options["moderator"]:
                    user.user_permissions.add(moderate_permission())
        except IntegrityError:
            raise CommandError(f"the user name {username!r} was just taken") from None
        role = " (a moderator)" if options["moderator"] else ""
        self.stdout.write(f"created {username} <{email}>{role}")

    def _password(self, options: dict[str, Any], user: User) -> str:
        password = options["password"]
        if password is None:
            if not sys.stdin.isatty():
                raise CommandError("give --password or --no-password (no terminal to ask on)")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the two passwords differ")
        _plain(password, "password")
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(_first(exc)) from None
        return str(password)

    def _moderator(self, user: User, *, remove: bool) -> None:
        perm = moderate_permission()
        if remove:
            user.user_permissions.remove(perm)
        else:
            user.user_permissions.add(perm)
        fresh = User.objects.get(pk=user.pk)  # has_perm caches what it read
        if remove and is_moderator(fresh):
            raise CommandError(
                f"{user.username} still moderates: as a superuser or through a group (see /admin/)"
            )
        self.stdout.write(f"{user.username} is {'no longer' if remove else 'now'} a moderator")

    def _suspend(self, user: User, reason: str, *, lift: bool) -> None:
        reason = _plain(reason, "reason")
        if len(reason) > MAX_REASON:
            raise CommandError(f"the reason is at most {MAX_REASON} characters")
        was = Profile.objects.filter(user=user, suspended_at__isnull=False).exists()
        set_suspended(None, user, not lift, reason)
        if was == (not lift):
            state = "suspended" if was else "not suspended"
            self.stdout.write(f"{user.username} was already {state}: nothing changed")
        else:
            done = "lifted the suspension of" if lift else "suspended"
            self.stdout.write(f"{done} {user.username}")


def _first(exc: ValidationError) -> str:
    """A validation error's messages, in one line."""
    messages = [m.rstrip(".") for m in exc.messages]
    return "; ".join(messages)[:1].lower() + "; ".join(messages)[1:]
