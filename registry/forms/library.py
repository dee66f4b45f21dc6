"""Forms of the shared library's pages: promoting and editing an entry, deprecating it,
adopting it, reporting a month's usage and publishing a foundation document version.

They parse what was typed; the rules live in ``registry.services.library``. Each refuses
secret-looking text (``SecretGuardFormMixin``) before anything reaches a service.
"""

from django import forms

from accounts.models import Team
from accounts.permissions import standing_of

from ..models import LibraryEntry
from ..secret_guard import SecretGuardFormMixin


class LibraryEntryForm(SecretGuardFormMixin, forms.Form):
    """Promote a use case, or edit its entry: the reuse summary, how to adopt, category, version."""

    reuse_summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why and when to reuse it, in a paragraph.",
    )
    how_to_adopt = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 9}),
        help_text="The steps, and the kinds of credentials and data access an adopter needs. "
        "Never a credential's value or vault reference.",
    )
    category = forms.CharField(
        max_length=100,
        help_text="E.g. Content, Sales, Research.",
        widget=forms.TextInput(attrs={"list": "library-categories"}),
    )
    version = forms.CharField(max_length=50, initial="1.0")


class LibraryDeprecateForm(SecretGuardFormMixin, forms.Form):
    """Deprecate an entry: why, and what to use instead."""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Readers see it.")
    replacement = forms.ModelChoiceField(
        queryset=LibraryEntry.objects.none(),
        required=False,
        empty_label="No replacement",
        help_text="A listed entry to use instead.",
    )

    def __init__(self, *args, entry: LibraryEntry, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["replacement"]
        field.queryset = (
            LibraryEntry.objects.filter(status=LibraryEntry.Status.LISTED)
            .exclude(pk=entry.pk)
            .select_related("use_case")
            .order_by("use_case__name")
        )
        field.label_from_instance = lambda e: f"{e.use_case.name} ({e.category})"


class AdoptionForm(SecretGuardFormMixin, forms.Form):
    """Adopt an entry: for yourself or a team you belong to, optionally with your own use case."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label="Just me",
        help_text="Record the adoption for a team you belong to.",
    )
    create_use_case = forms.BooleanField(
        required=False,
        label="Also create my own use case from it",
        help_text="A draft in the team above, with you as its owner, prefilled from this entry and "
        "linked to it (“adopted from”). Add your own credentials and submit it for review.",
    )
    note = forms.CharField(
        required=False, max_length=500, help_text="Optional: what you use it for.", label="Note"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        standing = standing_of(user)
        self.guard_actor = user
        teams = Team.objects.filter(pk__in=standing.team_ids).select_related("parent").order_by("name")
        self.fields["team"].queryset = teams
        #: Whether the "create my own use case" option is offered: builders and leads of a team.
        self.may_create = standing.is_admin or bool(standing.builds_for_team_ids & standing.team_ids)
        if not self.may_create:
            del self.fields["create_use_case"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("create_use_case") and not cleaned.get("team"):
            self.add_error("team", "Choose the team your own use case belongs to.")
        return cleaned


class UsageReportForm(forms.Form):
    """One month's usage of a use case (numbers only: nothing to guard)."""

    period = forms.CharField(
        label="Month",
        widget=forms.DateInput(attrs={"type": "month"}),
        help_text="The month reported, e.g. 2026-10. Sending a month again updates it.",
    )
    active_users = forms.IntegerField(min_value=0, initial=0)
    runs = forms.IntegerField(min_value=0, initial=0, help_text="Conversations, runs or executions.")
    hours_saved = forms.DecimalField(
        min_value=0, max_digits=10, decimal_places=1, initial=0, help_text="In the month, for everyone."
    )
    cost = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2, initial=0)

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cost"].label = f"Cost ({currency})"
        self.fields["cost"].help_text = f"What it cost in the month, in {currency}."


class FoundationVersionForm(SecretGuardFormMixin, forms.Form):
    """Publish a new version of a foundation document."""

    version = forms.CharField(max_length=50, help_text="E.g. 2026.2 or v3.")
    link = forms.URLField(required=False, max_length=500, assume_scheme="https", help_text="Where it lives.")
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What changed (owners are emailed).",
    )
