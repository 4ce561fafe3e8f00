"""The import form: a file or pasted text, its format, and the collection it goes into."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from dailypapers.library.models import Collection, LibraryImport

from . import formats

NEW = "new"
MAX_PASTED = 2_000_000
"""Characters of pasted text (Django refuses request bodies over 2.5 MB; files go as files)."""


def precheck(fmt: str, text: str) -> None:
    """What can be told at once, before the job reads the file: the wrong format chosen, or
    JSON that does not parse (with its line and column). Raises ``formats.Unreadable``."""
    if fmt == formats.CSL_JSON:
        formats.read_csl_json(text)
    starts = {formats.BIBTEX: formats.BIBTEX_START, formats.RIS: formats.RIS_START}
    if fmt in starts and not starts[fmt].search(text):
        raise formats.wrong_format(fmt, text)


def new_collection(owner_id: int, name: str) -> Collection:
    """A new collection of the reader's, its slug made unique among theirs."""
    base = slugify(name)[:100] or "collection"
    for n in range(1, 1000):
        slug = base if n == 1 else f"{base}-{n}"
        try:
            with transaction.atomic():
                return Collection.objects.create(owner_id=owner_id, name=name, slug=slug)
        except IntegrityError:
            continue
    raise forms.ValidationError("Too many collections of that name.")


class ImportForm(forms.Form):
    format = forms.ChoiceField(
        choices=LibraryImport.Format.choices,
        initial=LibraryImport.Format.BIBTEX,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(required=False, label="File")
    pasted = forms.CharField(
        required=False,
        label="Or paste",
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": MAX_PASTED, "spellcheck": "false"}),
        help_text="Paste the file's text, or arXiv ids, arXiv links and DOIs, one a line.",
        strip=False,
    )
    collection = forms.ChoiceField(label="Into")
    new_name = forms.CharField(required=False, max_length=100, label="Name of the new collection")

    def __init__(self, owner: AbstractBaseUser, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.text = ""
        self.filename = ""
        mine = Collection.objects.filter(owner_id=owner.pk).only("pk", "name")
        field = self.fields["collection"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (NEW, "a new collection named …"),
            *((str(c.pk), c.name) for c in mine),
        ]
        field.initial = NEW

    def clean_pasted(self) -> str:
        value: str = self.cleaned_data.get("pasted") or ""
        if len(value) > MAX_PASTED:
            raise forms.ValidationError(
                f"That is more than {MAX_PASTED:,} characters: upload it as a file instead."
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        pasted = data.get("pasted") or ""
        fmt = data.get("format")
        try:
            if upload is not None:
                if pasted.strip():
                    raise formats.Unreadable("Choose a file or paste text, not both.")
                if upload.size is not None and upload.size > formats.max_bytes():
                    raise formats.Unreadable(
                        f"The file is {upload.size / 1e6:.1f} MB; at most "
                        f"{formats.max_bytes() / 1e6:.0f} MB can be imported at once."
                    )
                self.text = formats.decode(upload.read(formats.max_bytes() + 1))
                self.filename = (upload.name or "")[:255]
            elif pasted.strip():
                self.text = formats.check_text(pasted)
            else:
                raise formats.Unreadable("Choose a file to upload, or paste your list.")
            if fmt:
                precheck(fmt, self.text)
        except formats.Unreadable as exc:
            self.add_error("file" if upload is not None else "pasted", str(exc))
        if data.get("collection") == NEW:
            name = " ".join((data.get("new_name") or "").split())
            if not name:
                self.add_error("new_name", "Name the new collection.")
            data["new_name"] = name
        return data

    def target(self) -> Collection:
        choice = self.cleaned_data["collection"]
        if choice != NEW:
            return Collection.objects.get(pk=int(choice), owner_id=self.owner.pk)
        return new_collection(int(self.owner.pk), self.cleaned_data["new_name"])

    def save(self) -> LibraryImport:
        return LibraryImport.objects.create(
            owner_id=self.owner.pk,
            collection=self.target(),
            format=self.cleaned_data["format"],
            filename=self.filename,
            text=self.text,
        )
