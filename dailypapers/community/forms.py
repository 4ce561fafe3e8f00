"""The community's forms: what a comment post or edit may carry, checked at the boundary."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings


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
