"""Forms of the accounts pages."""

import datetime

from django import forms
from django.utils import timezone

from .models import ApiToken


class ApiTokenForm(forms.Form):
    """A new personal API token: its name and an optional last day of validity."""

    name = forms.CharField(
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text="What it is for, so you recognise it later (e.g. “nightly export script”).",
    )
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional. The token stops working at the start of this day. Empty: it never expires.",
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the token a name.")
        return name

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is not None and day <= timezone.localdate():
            raise forms.ValidationError("Choose a day after today.")
        return day

    @property
    def expires_at(self) -> datetime.datetime | None:
        """The expiry as an aware datetime: midnight starting ``expires_on``, in ``TIME_ZONE``.

        Only after ``is_valid()``; ``None`` for a token that never expires.
        """
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
