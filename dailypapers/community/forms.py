"""The community's forms: what a comment post or edit may carry, checked at the boundary."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import URLValidator


class CommentForm(forms.Form):
    """A comment's text (Django's CharField refuses NUL characters) and, for a reply, the
    id of the comment it answers."""

    parent = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        error_messages={"invalid": "That comment cannot be replied to."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = settings.COMMENT_MAX_LENGTH
        self.fields["body"] = forms.CharField(
            strip=True,
            max_length=limit,
            error_messages={
                "required": "A comment cannot be empty.",
                "max_length": f"A comment can be at most {limit:,} characters long.",
                "null_characters_not_allowed": "A comment cannot hold a NUL character.",
            },
        )

    def problem(self) -> str:
        """The first error, in words for the reader."""
        for errors in self.errors.values():
            return str(errors[0])
        return ""


LINK_MAX_LENGTH = 500
_NOT_IN_ADDRESSES = re.compile(r"[\s<>\"'`{}|\\^]")


def _web_address(value: str) -> str:
    """An http(s) address of at most LINK_MAX_LENGTH characters, or "" for none."""
    value = value.strip()
    if not value:
        return ""
    if len(value) > LINK_MAX_LENGTH:
        raise forms.ValidationError(f"An address can be at most {LINK_MAX_LENGTH} characters long.")
    if not value.lower().startswith(("http://", "https://")):
        raise forms.ValidationError("An address must start with https:// or http://.")
    if _NOT_IN_ADDRESSES.search(value):
        raise forms.ValidationError("That is not a web address.")
    try:
        URLValidator(schemes=["http", "https"])(value)
    except forms.ValidationError:
        raise forms.ValidationError("That is not a web address.") from None
    return value


class LinksForm(forms.Form):
    """A paper's code repository and project page; either may be left empty."""

    code_url = forms.CharField(required=False, max_length=LINK_MAX_LENGTH * 4)
    project_url = forms.CharField(required=False, max_length=LINK_MAX_LENGTH * 4)

    def clean_code_url(self) -> str:
        return _web_address(self.cleaned_data["code_url"])

    def clean_project_url(self) -> str:
        return _web_address(self.cleaned_data["project_url"])
