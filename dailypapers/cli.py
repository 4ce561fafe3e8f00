"""The `dailypapers` command: the operator's verbs, each a Django management command."""

from __future__ import annotations

import os
import sys

# verb -> the Django app that holds its management command
VERBS: dict[str, str] = {
    "serve": "dailypapers.core",
    "worker": "dailypapers.core",
    "status": "dailypapers.core",
    "mcp": "dailypapers.core",
    "users": "dailypapers.core",
    "ingest": "dailypapers.sources",
    "scheduler": "dailypapers.sources",
    "feature": "dailypapers.community",
    "index": "dailypapers.search",
    "digest": "dailypapers.digests",
    "export": "dailypapers.core",
    "import": "dailypapers.core",
    "migrate": "django.core",
    "createsuperuser": "django.contrib.auth",
}
MANAGE_HELP = "Run any Django management command (`dailypapers manage help` lists them)."
# Verbs that look after the database's schema themselves (serve applies migrations as it
# starts; migrate is the applying) or never touch the database.
OWN_SCHEMA = {"serve", "migrate"}


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    import django

    django.setup()


def verb_help() -> dict[str, str]:
    """One line of purpose per verb, taken from the commands themselves."""
    from django.core.management import load_command_class

    lines = {}
    for verb, app in VERBS.items():
        text = str(load_command_class(app, verb).help).strip()
        lines[verb] = text.split("\n", 1)[0].rstrip(".") + "."
    lines["manage"] = MANAGE_HELP
    return lines


def usage() -> str:
    from dailypapers import __version__

    rows = "\n".join(f"  {verb:<17}{text}" for verb, text in verb_help().items())
    return (
        f"Daily Papers {__version__}: a daily feed, search and digest of arXiv papers.\n\n"
        "usage: dailypapers VERB [options]\n\n"
        f"verbs:\n{rows}\n\n"
        "`dailypapers VERB --help` tells more about one verb. Settings come from environment\n"
        "variables: see docs/configuration.md.\n"
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    _setup()
    from django.core.management import execute_from_command_line

    if not args or args[0] in {"-h", "--help", "help"}:
        sys.stdout.write(usage())
        return 0
    if args[0] == "--version":
        from dailypapers import __version__

        sys.stdout.write(f"{__version__}\n")
        return 0
    verb = args[0]
    if verb == "manage":
        execute_from_command_line(["dailypapers manage", *args[1:]])
        return 0
    if verb not in VERBS:
        sys.stderr.write(f"dailypapers: no verb {verb!r}.\n\n{usage()}")
        return 2
    asks_help = any(a in {"-h", "--help"} for a in args[1:])
    if verb not in OWN_SCHEMA and not asks_help and not schema_ready():
        return 1
    execute_from_command_line(["dailypapers", *args])
    return 0


def schema_ready() -> bool:
    """Whether the database has every migration. In embedded mode the missing ones are
    applied (one line on stderr says so, so that a verb's own output stays clean); in
    production mode, where several processes share the database and an operator decides
    when its schema changes, one line says what to run."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # the database cannot be reached or read
        sys.stderr.write(f"dailypapers: cannot read the database: {exc}\n")
        return False
    if not pending:
        return True
    if settings.PRODUCTION:
        sys.stderr.write(
            f"dailypapers: the database lacks {len(pending)} migration(s): "
            "run `dailypapers migrate` first.\n"
        )
        return False
    sys.stderr.write(f"dailypapers: applying {len(pending)} database migration(s) first.\n")
    call_command("migrate", interactive=False, verbosity=0)
    return True


if __name__ == "__main__":
    sys.exit(main())
