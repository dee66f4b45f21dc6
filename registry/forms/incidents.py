"""The incident responder's forms: open an incident, suspend use cases, add a note, resolve.

All are guarded against secret values (``SecretGuardFormMixin``): a leaked key pasted into
"what happened" is refused like anywhere else. Describe the key (its name, where it leaked),
never paste it.
"""

from django import forms

from ..models import Incident
from ..secret_guard import SecretGuardFormMixin


class IncidentOpenForm(SecretGuardFormMixin, forms.Form):
    """Title, severity, what happened and what each owner must do. The query it is opened
    from travels beside it as the answer page's own parameters (``credential=12&depth=3``)."""

    title = forms.CharField(max_length=300, help_text="E.g. “HubSpot key leaked in a public repository”.")
    severity = forms.ChoiceField(choices=Incident.Severity.choices, initial=Incident.Severity.HIGH)
    description = forms.CharField(
        label="What happened",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Never paste the secret itself.",
    )
    what_to_do = forms.CharField(
        label="What each owner must do",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Sent in every owner's email. Left empty: check, stop it if in doubt, rotate named keys.",
    )


class IncidentSuspendForm(SecretGuardFormMixin, forms.Form):
    """Affected use cases to suspend or un-suspend, and why (for a suspension)."""

    use_cases = forms.TypedMultipleChoiceField(coerce=int, choices=(), label="Use cases")
    reason = forms.CharField(max_length=400, required=False, help_text="Shown on each use case's page.")

    def __init__(self, *args, incident: Incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["use_cases"].choices = [
            (link.use_case_id, link.use_case.name) for link in incident.affected.all()
        ]


class IncidentNoteForm(SecretGuardFormMixin, forms.Form):
    text = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 2}))


class IncidentResolveForm(SecretGuardFormMixin, forms.Form):
    notes = forms.CharField(
        label="Resolution notes",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was found and what was done.",
    )
