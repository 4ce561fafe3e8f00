"""`dailypapers manage import_library FILE --user U --format F [--into SLUG | --new NAME]`:
import a reader's library from the command line (the job the import page runs), or go on
with a stopped import (`--resume ID`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.library.imports import formats, job
from dailypapers.library.imports.forms import new_collection, precheck
from dailypapers.library.models import Collection, LibraryImport


class Command(BaseCommand):
    help = (
        "Import a BibTeX, RIS or CSL-JSON file, or a list of arXiv ids and DOIs, into one of a "
        "reader's collections, and print the report's counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help="the file to import")
        parser.add_argument("--user", help="the reader (user name) whose collection it goes in")
        parser.add_argument(
            "--format", choices=[f.value for f in LibraryImport.Format], default="bibtex"
        )
        parser.add_argument("--into", help="the slug of one of the reader's collections")
        parser.add_argument("--new", help="the name of a new collection (the default: the file's)")
        parser.add_argument("--resume", type=int, help="go on with a stopped import, by its id")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["resume"] is not None:
            created = LibraryImport.objects.filter(pk=options["resume"]).first()
            if created is None:
                raise CommandError(f"there is no import {options['resume']}")
        else:
            created = self._create(options)
        done = job.run(created.pk)
        if done.state == LibraryImport.State.FAILED:
            raise CommandError(f"import {done.pk}: {done.error}")
        counts = job.summary(done)
        self.stdout.write(
            f"import {done.pk} into {done.collection.name!r}: {done.entries_total} entries, "
            f"{counts['added']} added, {counts['already']} already there, "
            f"{counts['not_found']} not found, {counts['unreadable']} unreadable "
            f"(by arXiv id {counts['by_arxiv']}, DOI {counts['by_doi']}, title "
            f"{counts['by_title']}; {counts['fetched']} fetched from arXiv)"
        )

    def _create(self, options: dict[str, Any]) -> LibraryImport:
        path: Path | None = options["file"]
        if path is None or not options["user"]:
            raise CommandError("give a file and --user (or --resume ID)")
        user_model = get_user_model()
        owner = user_model.objects.filter(**{user_model.USERNAME_FIELD: options["user"]}).first()
        if owner is None:
            raise CommandError(f"there is no user {options['user']!r}")
        try:
            with path.open("rb") as handle:
                text = formats.decode(handle.read(formats.max_bytes() + 1))
            precheck(options["format"], text)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
        except formats.Unreadable as exc:
            raise CommandError(str(exc)) from None
        if options["into"]:
            collection = Collection.objects.filter(owner=owner, slug=options["into"]).first()
            if collection is None:
                raise CommandError(f"{options['user']} has no collection {options['into']!r}")
        else:
            collection = new_collection(int(owner.pk), (options["new"] or path.stem)[:100])
        return LibraryImport.objects.create(
            owner=owner,
            collection=collection,
            format=options["format"],
            filename=path.name[:255],
            text=text,
        )
