"""The subscribe box and a reader's digest options: every field validated, so that garbage
(NUL bytes, overlong text, an unknown zone, a non-numeric hour) is a clear error."""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django import forms

from dailypapers.catalog.models import Category

from .models import Subscription
from .services import Options

HOURS = [(h, f"{h:02d}:00") for h in range(24)]


@cache
def zone_choices() -> list[tuple[str, str]]:
    return [(z, z) for z in sorted(available_timezones())]


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter a valid email address, like name@example.org.",
        },
    )
    frequency = forms.ChoiceField(
        label="How often",
        choices=Subscription.Frequency.choices,
        required=False,
        error_messages={"invalid_choice": "Choose daily or weekly."},
    )

    def clean_frequency(self) -> str:
        return self.cleaned_data.get("frequency") or Subscription.Frequency.DAILY


class OptionsForm(forms.Form):
    """What the manage page and the settings page both offer."""

    frequency = forms.ChoiceField(
        label="How often",
        choices=Subscription.Frequency.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose daily or weekly."},
    )
    weekday = forms.TypedChoiceField(
        label="Day (weekly)",
        choices=Subscription.Weekday.choices,
        coerce=int,
        error_messages={"invalid_choice": "Choose a day of the week."},
    )
    hour = forms.TypedChoiceField(
        label="Hour",
        choices=HOURS,
        coerce=int,
        error_messages={"invalid_choice": "Choose an hour from 00:00 to 23:00."},
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=zone_choices,
        error_messages={
            "invalid_choice": "Choose a time zone from the list (such as Europe/Paris)."
        },
    )
    categories = forms.ModelMultipleChoiceField(
        label="Categories",
        queryset=Category.objects.all(),
        required=False,
        help_text="Only papers in these categories; none chosen: every category.",
        error_messages={
            "invalid_choice": "Choose categories from the list.",
            "invalid_pk_value": "Choose categories from the list.",
        },
    )

    @classmethod
    def for_subscription(cls, sub: Subscription | None, **kwargs: Any) -> OptionsForm:
        initial: dict[str, Any] = {
            "frequency": Subscription.Frequency.DAILY,
            "weekday": Subscription.Weekday.MONDAY,
            "hour": 7,
            "time_zone": "UTC",
            "personal_picks": True,
        }
        if sub is not None:
            initial = {
                "frequency": sub.frequency,
                "weekday": sub.weekday,
                "hour": sub.hour,
                "time_zone": sub.time_zone,
                "categories": list(sub.categories.all()),
                "personal_picks": sub.personal_picks,
            }
        return cls(initial=initial, **kwargs)

    def options(self, *, personal_picks: bool = True) -> Options:
        data = self.cleaned_data
        return Options(
            frequency=data["frequency"],
            weekday=data["weekday"],
            hour=data["hour"],
            time_zone=data["time_zone"],
            categories=tuple(data["categories"]),
            personal_picks=data.get("personal_picks", personal_picks),
        )


class MemberOptionsForm(OptionsForm):
    personal_picks = forms.BooleanField(
        label="Personal picks from your papers and follows", required=False
    )
