"""The registration page's forms: the use case itself and a formset per thing it touches.

``UseCaseRegistrationForms`` binds them together for the view: it builds the choices once per
request (no query per row), turns valid input into the registration service's contract
(``fields`` and ``RegistrationLinks``), maps the service's errors back onto the field a person
would fix, and reads the unsaved input into ``RiskFacts`` for the live risk preview.

Rules live in the service (``registry.services.registration``): these forms only parse what
was typed. The secret guard runs in the view, on what was sent, before anything is bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django import forms
from django.db.models import Q
from django.forms.utils import ErrorDict
from django.urls import reverse

from accounts.models import Team, User
from accounts.permissions import standing_of

from ..choices import (
    UNSAFE_CREDENTIAL_STORAGE,
    AccessMode,
    Autonomy,
    CredentialKind,
    CredentialStorage,
    DataClassification,
    Exposure,
    LifecycleStage,
    UseCaseKind,
)
from ..models import AIModel, Credential, DataSource, FoundationDocument, UseCase, Vendor
from ..rules.risk import DataFact, RiskFacts
from ..secret_guard import secret_scan
from ..selectors.credentials import credentials_visible_to
from ..services.registration import (
    ConnectionInput,
    CredentialInput,
    DataAccessInput,
    NewCredential,
    NewDataSource,
    RegistrationLinks,
    VendorChoice,
)

#: Most rows a formset takes (a page is for one tool, not a bulk import).
MAX_ROWS = 50
#: Use cases offered in a connection's select before any search (the team's own, by name).
CONNECTION_OPTIONS_LIMIT = 50
#: Results of one connection search.
CONNECTION_SEARCH_LIMIT = 20

_OTHER_TEAM_MESSAGE = "You can register use cases only for teams you belong to."


def _model_field(model, name: str, **kwargs):
    return model._meta.get_field(name).formfield(**kwargs)


def _person_label(user: User) -> str:
    return f"{user.get_full_name() or user.username} ({user.username})"


def registrable_teams(user):
    """Teams ``user`` may register use cases for, by name: the teams they build for or lead;
    every team for an admin. (``accounts.permissions.can_create_use_case`` says the same.)"""
    standing = standing_of(user)
    teams = Team.objects.select_related("parent").order_by("name", "id")
    return teams if standing.is_admin else teams.filter(pk__in=standing.builds_for_team_ids)


def team_people(team_id: int | None, *, also: list[int] = ()):
    """Active people of a team or of the organisation above it (who may own, back up or build
    its tools), plus the people ``also`` names (the current builders, kept even if they left)."""
    condition = Q(pk__in=list(also)) if also else Q(pk__in=[])
    if team_id:
        team_ids = [team_id]
        parent_id = Team.objects.filter(pk=team_id).values_list("parent_id", flat=True).first()
        if parent_id:
            team_ids.append(parent_id)
        condition |= Q(is_active=True, memberships__team_id__in=team_ids)
    return User.objects.filter(condition).distinct().order_by("first_name", "last_name", "username")


class PreloadedChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` that finds the chosen object in ``objects`` (``{pk: object}``,
    read once per request with the page's choices) instead of one query per row."""

    objects: dict | None = None

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if self.objects is None:
            return super().to_python(value)
        try:
            return self.objects[int(value)]
        except (KeyError, TypeError, ValueError):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class UseCasePickField(forms.ModelChoiceField):
    """A use case chosen by id among those the person may see; its widget lists only a few
    (the page sets them), never the whole registry."""

    def label_from_instance(self, obj):
        return obj.name


class UseCaseForm(forms.Form):
    """The use case's own fields. Required: what a marketer knows (name, what it does, kind,
    team, where it runs); the vendors are the ``vendors`` formset."""

    name = _model_field(UseCase, "name", label="Name", help_text="What people call it.")
    purpose = _model_field(
        UseCase,
        "purpose",
        label="What it does",
        help_text="The job it does and for whom, in a sentence or two.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    kind = forms.ChoiceField(label="Kind", choices=[("", "Choose…"), *UseCaseKind.choices])
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        label="Team",
        empty_label=None,
        error_messages={"invalid_choice": _OTHER_TEAM_MESSAGE},
        help_text="The team that owns it.",
    )
    platform = _model_field(
        UseCase,
        "platform",
        label="Where it runs",
        help_text="ChatGPT Enterprise, Zapier, n8n, HubSpot workflows, a server…",
    )
    platform.required = True

    description = _model_field(
        UseCase, "description", label="How it works", widget=forms.Textarea(attrs={"rows": 3})
    )
    outputs = _model_field(
        UseCase, "outputs", label="What it produces", widget=forms.Textarea(attrs={"rows": 2})
    )
    lifecycle_stage = forms.ChoiceField(
        label="Stage",
        required=False,
        choices=[
            ("", "Not reported"),
            *[c for c in LifecycleStage.choices if c[0] != LifecycleStage.RETIRED],
        ],
    )
    autonomy = forms.ChoiceField(label="Autonomy", choices=Autonomy.choices, initial=Autonomy.ASSISTIVE)
    exposure = forms.ChoiceField(
        label="Who sees its output", choices=Exposure.choices, initial=Exposure.INTERNAL
    )
    human_in_the_loop = _model_field(
        UseCase,
        "human_in_the_loop",
        label="Human in the loop",
        help_text="Where a person checks or approves its work.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    handles_personal_data = _model_field(
        UseCase,
        "handles_personal_data",
        label="It uses personal data",
        help_text="Names, e-mail addresses, anything that identifies a person.",
    )
    is_high_impact = _model_field(
        UseCase,
        "is_high_impact",
        label="High-impact",
        help_text="Its output affects people's rights, safety or access to services.",
    )
    high_impact_justification = _model_field(
        UseCase,
        "high_impact_justification",
        label="Why it is high-impact",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    backup_owner = PreloadedChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Backup owner",
        empty_label="Nobody yet",
        help_text="Takes over if the owner leaves.",
    )
    builders = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Builders",
        help_text="Who built it or maintains it.",
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    documentation_url = _model_field(
        UseCase, "documentation_url", label="Documentation or runbook", assume_scheme="https"
    )
    code_url = _model_field(UseCase, "code_url", label="Source code", assume_scheme="https")
    users_count = _model_field(UseCase, "users_count", label="Users", help_text="People who use it.")
    hours_saved_per_week = _model_field(
        UseCase, "hours_saved_per_week", label="Hours saved per week", min_value=0
    )
    monthly_cost = _model_field(
        UseCase, "monthly_cost", label="Monthly cost", help_text="Licences, API usage.", min_value=0
    )

    #: Fields a registration asks first; the rest are optional, grouped on the page.
    REQUIRED = ("name", "purpose", "kind", "team", "platform")

    def __init__(self, *args, user, use_case: UseCase | None, choices: RegistrationChoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.use_case = use_case
        self.fields["team"].queryset = choices.teams_queryset
        self.fields["team"].widget.choices = choices.team_options
        for name in ("backup_owner", "builders"):
            self.fields[name].queryset = choices.people_queryset
            self.fields[name].label_from_instance = _person_label
        self.fields["backup_owner"].widget.choices = [("", "Nobody yet"), *choices.people_options]
        self.fields["backup_owner"].objects = choices.people_by_id
        self.fields["builders"].widget.choices = choices.people_options
        if use_case is not None and use_case.lifecycle_stage == LifecycleStage.RETIRED:
            self.fields["lifecycle_stage"].choices = [("", "Not reported"), *LifecycleStage.choices]
        _mark_defaults(self)
        self.fields["team"].has_default = False  # one of the five things a registration says
        if use_case is not None and use_case.backup_owner_id and not choices.may_reassign:
            # Filling a gap is the builder's; replacing a named backup owner is the lead's.
            self.fields["backup_owner"].disabled = True
            self.fields["backup_owner"].help_text = "Only the team's lead can reassign it."

    def service_fields(self) -> dict:
        """The cleaned values as ``EDITABLE_FIELDS`` of the registration service."""
        data = dict(self.cleaned_data)
        data.pop("builders", None)
        if self.fields["backup_owner"].disabled:
            data.pop("backup_owner", None)
        return data


# --- rows ------------------------------------------------------------------------------------


def _mark_defaults(form: forms.Form) -> None:
    """Choice fields that start on a value are not "(required)" for a person: they always
    hold one. The page reads ``has_default`` to leave the mark out."""
    for name, form_field in form.fields.items():
        form_field.has_default = isinstance(form_field, forms.ChoiceField) and form.get_initial_for_field(
            form_field, name
        ) not in (None, "")


class _RowForm(forms.Form):
    """A formset row: knows the request's shared choices."""

    def __init__(self, *args, choices: RegistrationChoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.choices = choices
        _mark_defaults(self)


class VendorRowForm(_RowForm):
    """A vendor it calls (existing, picked from the list, or typed) and optionally the model."""

    new_vendor_name = forms.CharField(
        label="Vendor",
        max_length=200,
        help_text="OpenAI, Anthropic, Microsoft… or your own company if it calls no vendor.",
        widget=forms.TextInput(attrs={"list": "vendor-names", "autocomplete": "off"}),
    )
    model_name = forms.CharField(
        label="Model or product",
        max_length=200,
        required=False,
        help_text="GPT-4o, Claude Sonnet, Copilot…",
        widget=forms.TextInput(attrs={"list": "model-names", "autocomplete": "off"}),
    )


class DataAccessRowForm(_RowForm):
    """A data source it reads or writes: an existing one, or a new one named here."""

    data_source = PreloadedChoiceField(
        queryset=DataSource.objects.none(),
        required=False,
        label="Data source",
        empty_label="A new data source (name it below)",
    )
    new_source_name = forms.CharField(label="New data source's name", max_length=200, required=False)
    new_source_classification = forms.ChoiceField(
        label="Its classification", choices=DataClassification.choices, initial=DataClassification.INTERNAL
    )
    new_source_personal = forms.BooleanField(label="Holds personal data", required=False)
    new_source_customer = forms.BooleanField(label="Holds customer data", required=False)
    new_source_system = forms.CharField(
        label="Runs on", max_length=200, required=False, help_text="E.g. Salesforce, HubSpot, Google Drive."
    )
    access = forms.ChoiceField(label="Access", choices=AccessMode.choices, initial=AccessMode.READ)
    purpose = forms.CharField(label="Why", max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["data_source"].queryset = self.choices.data_sources_queryset
        self.fields["data_source"].objects = self.choices.data_sources_by_id
        self.fields["data_source"].widget.choices = [
            ("", "A new data source (name it below)"),
            *self.choices.data_source_options,
        ]

    def clean(self):
        data = super().clean()
        if data.get("data_source") and (data.get("new_source_name") or "").strip():
            self.add_error("new_source_name", "Pick an existing data source or name a new one, not both.")
        return data

    def to_input(self) -> DataAccessInput:
        data = self.cleaned_data
        new = None
        if data.get("data_source") is None and (data.get("new_source_name") or "").strip():
            new = NewDataSource(
                name=data["new_source_name"],
                classification=data["new_source_classification"],
                has_personal_data=data.get("new_source_personal", False),
                has_customer_data=data.get("new_source_customer", False),
                system=data.get("new_source_system", ""),
            )
        return DataAccessInput(
            data_source=data.get("data_source"),
            new_source=new,
            access=data.get("access") or AccessMode.READ,
            purpose=data.get("purpose", ""),
        )


class CredentialRowForm(_RowForm):
    """A credential it uses: a reference already recorded, or a new one described here (where
    it is stored and who holds it, never its value)."""

    credential = PreloadedChoiceField(
        queryset=Credential.objects.none(),
        required=False,
        label="Credential",
        empty_label="A new credential reference (describe it below)",
    )
    name = forms.CharField(
        label="New credential's name",
        max_length=200,
        required=False,
        help_text="E.g. “HubSpot private app key, marketing”.",
    )
    kind = forms.ChoiceField(label="Kind", choices=CredentialKind.choices, initial=CredentialKind.API_KEY)
    issuer = forms.CharField(
        label="Issued by",
        max_length=200,
        required=False,
        help_text="The vendor whose API it opens.",
        widget=forms.TextInput(attrs={"list": "vendor-names", "autocomplete": "off"}),
    )
    storage = forms.ChoiceField(
        label="Where it is stored", choices=CredentialStorage.choices, initial=CredentialStorage.UNKNOWN
    )
    vault_reference = forms.CharField(
        label="Vault reference",
        max_length=500,
        required=False,
        help_text="Its path or id in the secrets manager (vault://…, arn:aws:secretsmanager:…, op://…), "
        "never the value.",
    )
    owner = PreloadedChoiceField(
        queryset=User.objects.none(), required=False, label="Held by", empty_label="Me"
    )
    scope = forms.CharField(label="Scope", max_length=500, required=False, help_text="What it grants.")
    last_rotated_on = forms.DateField(
        label="Last rotated", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    expires_on = forms.DateField(
        label="Expires", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    purpose = forms.CharField(label="Used for", max_length=500, required=False)

    #: The fields that describe a new credential (ignored when an existing one is picked).
    NEW_FIELDS = ("name", "issuer", "vault_reference", "scope", "last_rotated_on", "expires_on")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["credential"].queryset = self.choices.credentials_queryset
        self.fields["credential"].objects = self.choices.credentials_by_id
        self.fields["credential"].widget.choices = [
            ("", "A new credential reference (describe it below)"),
            *self.choices.credential_options,
        ]
        self.fields["owner"].queryset = self.choices.people_queryset
        self.fields["owner"].objects = self.choices.people_by_id
        self.fields["owner"].widget.choices = [("", "Me"), *self.choices.people_options]

    def clean_issuer(self):
        name = self.cleaned_data.get("issuer", "").strip()
        if not name:
            return None
        vendor = self.choices.vendor_named(name)
        if vendor is None:
            raise forms.ValidationError("No vendor by this name: pick one from the list, or leave it empty.")
        return vendor

    def clean(self):
        data = super().clean()
        if data.get("credential") and (data.get("name") or "").strip():
            self.add_error("name", "Pick an existing credential or describe a new one, not both.")
        return data

    def to_input(self) -> CredentialInput:
        data = self.cleaned_data
        new = None
        if data.get("credential") is None:
            new = NewCredential(
                name=data.get("name", ""),
                kind=data.get("kind") or CredentialKind.API_KEY,
                issuer=data.get("issuer"),
                storage=data.get("storage") or CredentialStorage.UNKNOWN,
                vault_reference=data.get("vault_reference", ""),
                owner=data.get("owner"),
                scope=data.get("scope", ""),
                last_rotated_on=data.get("last_rotated_on"),
                expires_on=data.get("expires_on"),
            )
        return CredentialInput(
            credential=data.get("credential"), new_credential=new, purpose=data.get("purpose", "")
        )


class ConnectionRowForm(_RowForm):
    """Another use case this one feeds (or is fed by), and what flows."""

    other = UseCasePickField(queryset=UseCase.objects.none(), label="Use case", empty_label="Choose…")
    find = forms.CharField(
        label="Find a use case",
        max_length=200,
        required=False,
        help_text="Type part of its name to list it.",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    what_flows = forms.CharField(label="What flows", max_length=500, required=False)
    classification = forms.ChoiceField(
        label="Its classification", choices=DataClassification.choices, initial=DataClassification.INTERNAL
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].queryset = self.choices.visible_use_cases
        self.fields["other"].error_messages["invalid_choice"] = "Pick a use case from the list."
        # With htmx, typing in "Find" refills this row's list (the "Find" button does the same
        # by re-rendering the page without JavaScript).
        self.fields["find"].widget.attrs.update(
            {
                "hx-post": reverse("registry:use_case_picker"),
                "hx-trigger": "input changed delay:300ms, search",
                "hx-target": f"#{self.auto_id % self.add_prefix('other')}",
                "hx-swap": "innerHTML",
                "hx-params": f"{self.add_prefix('find')},editing,csrfmiddlewaretoken",
                "hx-sync": "this:replace",
            }
        )

    def to_input(self) -> ConnectionInput:
        data = self.cleaned_data
        return ConnectionInput(
            other=data["other"], what_flows=data.get("what_flows", ""), classification=data["classification"]
        )


class FoundationDocumentRowForm(_RowForm):
    """A foundation document it uses, and which version."""

    document = PreloadedChoiceField(
        queryset=FoundationDocument.objects.none(), label="Foundation document", empty_label="Choose…"
    )
    version = forms.CharField(
        label="Version", max_length=50, required=False, help_text="Leave empty for the current version."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].queryset = self.choices.documents_queryset
        self.fields["document"].objects = self.choices.documents_by_id
        self.fields["document"].widget.choices = [("", "Choose…"), *self.choices.document_options]


@dataclass(frozen=True)
class RowsSpec:
    """One formset of the page: its prefix (also the service's error-key prefix), row form,
    title and the words of its "Add" button."""

    prefix: str
    form_class: type
    legend: str
    add_label: str
    row_label: str
    description: str = ""


ROWS = (
    RowsSpec(
        "vendors",
        VendorRowForm,
        "Vendors and models it calls",
        "Add another vendor",
        "Vendor",
        "At least one. Pick a vendor from the list or type a new one.",
    ),
    RowsSpec(
        "data_accesses",
        DataAccessRowForm,
        "Data it reads or writes",
        "Add a data source",
        "Data source",
        "Systems of record it touches: pick an existing one, or name a new one with its classification.",
    ),
    RowsSpec(
        "credentials",
        CredentialRowForm,
        "Credentials it uses",
        "Add a credential",
        "Credential",
        "References only: where each key or token is stored and who holds it. Never paste the value.",
    ),
    RowsSpec(
        "feeds",
        ConnectionRowForm,
        "Tools it feeds",
        "Add a tool it feeds",
        "Tool it feeds",
        "Use cases that take its output: they are in its blast radius.",
    ),
    RowsSpec(
        "fed_by",
        ConnectionRowForm,
        "Tools that feed it",
        "Add a tool that feeds it",
        "Tool that feeds it",
        "Use cases whose output it takes.",
    ),
    RowsSpec(
        "documents",
        FoundationDocumentRowForm,
        "Foundation documents it uses",
        "Add a foundation document",
        "Document",
        "Buyer personas, brand voice, proof points…: which version it was built with.",
    ),
)
ROWS_BY_PREFIX = {spec.prefix: spec for spec in ROWS}
_ROW_KEY = re.compile(r"^(?P<prefix>[a-z_]+)-(?P<index>\d+)-(?P<field>[a-z_]+)$")


# --- the choices of one request ----------------------------------------------------------------


@dataclass
class RegistrationChoices:
    """Every choice list of the page, read once per request (a fixed number of queries
    whatever the number of rows). Widgets get these lists; validation uses the querysets."""

    user: object
    use_case: UseCase | None
    team_id: int | None
    may_reassign: bool = False
    teams_queryset: object = None
    team_options: list = field(default_factory=list)
    people_queryset: object = None
    people_options: list = field(default_factory=list)
    data_sources_queryset: object = None
    data_source_options: list = field(default_factory=list)
    credentials_queryset: object = None
    credential_options: list = field(default_factory=list)
    credential_detail_ids: set = field(default_factory=set)
    people_by_id: dict = field(default_factory=dict)
    data_sources_by_id: dict = field(default_factory=dict)
    credentials_by_id: dict = field(default_factory=dict)
    documents_by_id: dict = field(default_factory=dict)
    documents_queryset: object = None
    document_options: list = field(default_factory=list)
    visible_use_cases: object = None
    vendor_names: list = field(default_factory=list)
    model_names: list = field(default_factory=list)
    _vendors_by_name: dict | None = None

    @classmethod
    def load(cls, *, user, use_case: UseCase | None, team_id: int | None, may_reassign: bool = False):
        """Read the choices for ``user`` (registering for ``team_id``, or editing ``use_case``)."""
        choices = cls(user=user, use_case=use_case, team_id=team_id, may_reassign=may_reassign)
        teams = registrable_teams(user)
        if use_case is not None:
            # The current team stays a choice (someone holding a grant may edit a tool of a
            # team they cannot register for; they just cannot move it to one).
            teams = Team.objects.select_related("parent").filter(
                Q(pk__in=teams.values("pk")) | Q(pk=use_case.team_id)
            )
        choices.teams_queryset = teams.order_by("name", "id")
        choices.team_options = [(t.pk, t.full_name) for t in choices.teams_queryset]
        current_people = []
        if use_case is not None:
            current_people = [*use_case.builders.values_list("pk", flat=True)]
            if use_case.backup_owner_id:
                current_people.append(use_case.backup_owner_id)
        choices.people_queryset = team_people(team_id, also=current_people)
        choices.people_by_id = {p.pk: p for p in choices.people_queryset}
        choices.people_options = [(pk, _person_label(p)) for pk, p in choices.people_by_id.items()]
        choices.data_sources_queryset = DataSource.objects.order_by("name", "id")
        choices.data_sources_by_id = {s.pk: s for s in choices.data_sources_queryset}
        choices.data_source_options = [
            (pk, f"{s.name} ({s.get_classification_display().lower()})")
            for pk, s in choices.data_sources_by_id.items()
        ]
        credentials = credentials_visible_to(user)
        if use_case is not None:
            credentials = Credential.objects.select_related("issuer", "owner", "team").filter(
                Q(pk__in=credentials.values("pk")) | Q(credential_uses__use_case=use_case)
            )
        choices.credentials_queryset = credentials.distinct().order_by("name", "id")
        # Where a credential is stored is a detail only some people see (the tool's team, the
        # security team): the others pick it by name.
        choices.credentials_by_id = {c.pk: c for c in choices.credentials_queryset}
        choices.credential_detail_ids = (
            set(choices.credentials_by_id)
            if use_case is None
            else set(credentials_visible_to(user).values_list("pk", flat=True))
        )
        choices.credential_options = [
            (
                c.pk,
                f"{c.name} ({c.get_storage_display().lower()})"
                if c.pk in choices.credential_detail_ids
                else c.name,
            )
            for c in choices.credentials_by_id.values()
        ]
        choices.documents_queryset = FoundationDocument.objects.order_by("name")
        choices.documents_by_id = {d.pk: d for d in choices.documents_queryset}
        choices.document_options = [
            (pk, f"{d.name} (current: {d.current_version})") for pk, d in choices.documents_by_id.items()
        ]
        choices.visible_use_cases = UseCase.objects.restrict(user, "view")
        choices.vendor_names = list(Vendor.objects.order_by("name").values_list("name", flat=True))
        choices.model_names = list(AIModel.objects.order_by("name").values_list("name", flat=True).distinct())
        return choices

    def vendor_named(self, name: str) -> Vendor | None:
        """The vendor called ``name`` (any case), or ``None``; read from the list already
        loaded (what was typed is never sent to the database)."""
        if self._vendors_by_name is None:
            self._vendors_by_name = {}
            for vendor in Vendor.objects.only("id", "name", "slug").order_by("-id"):
                self._vendors_by_name[vendor.name.lower()] = vendor
        return self._vendors_by_name.get(name.strip().lower())

    def connection_options(self, *, selected_ids: set[int], searches: dict) -> tuple[list, dict]:
        """Options of the connection selects: the asker's teams' use cases (at most
        ``CONNECTION_OPTIONS_LIMIT``) and the ones already chosen; and, per row that asked,
        the results of its search.

        Args:
            selected_ids: ids of the use cases the rows already name.
            searches: ``{(prefix, row index): text typed in its "Find" input}``.

        Returns:
            ``(shared options, {row key: options})``: lists of ``(id, label)``; two queries
            plus one per search typed (a person types one at a time).
        """
        from ..selectors.similar import use_cases_named

        standing = standing_of(self.user)
        exclude = self.use_case.pk if self.use_case else None
        base = self.visible_use_cases.select_related("team").only("id", "name", "team__name")
        if exclude:
            base = base.exclude(pk=exclude)
        mine = list(
            base.filter(team_id__in=standing.team_ids).order_by("name", "id")[:CONNECTION_OPTIONS_LIMIT]
        )
        chosen = list(base.filter(pk__in=selected_ids - {uc.pk for uc in mine})) if selected_ids else []
        shared = [(uc.pk, f"{uc.name} ({uc.team.name})") for uc in sorted(chosen + mine, key=_by_name)]
        found = {}
        for key, text in searches.items():
            hits = use_cases_named(self.user, text, exclude_id=exclude, limit=CONNECTION_SEARCH_LIMIT)
            found[key] = [(uc.pk, f"{uc.name} ({uc.team.name})") for uc in hits]
        return shared, found


def _by_name(use_case):
    return (use_case.name.lower(), use_case.pk)


# --- the page's forms together ------------------------------------------------------------------


class UseCaseRegistrationForms:
    """The registration page's main form and formsets, bound or not.

    Args:
        user: the person registering or editing.
        use_case: the use case being edited, or ``None`` to register a new one.
        data: the POST data (secret-looking values already removed by the view), or ``None``.
        add: a formset prefix that gets one more row (the "Add" buttons).
        may_reassign: whether ``user`` may replace a named backup owner (a lead).
    """

    def __init__(
        self, *, user, use_case: UseCase | None = None, data=None, add: str = "", may_reassign=False
    ):
        self.user = user
        self.use_case = use_case
        self.bound = data is not None
        if data is not None and add in ROWS_BY_PREFIX:
            data = _with_new_row(data, add)
        self.data = data
        self.added = add if add in ROWS_BY_PREFIX else ""
        self.team_id = self._team_id()
        self.choices = RegistrationChoices.load(
            user=user, use_case=use_case, team_id=self.team_id, may_reassign=may_reassign
        )
        self.main = UseCaseForm(
            data, user=user, use_case=use_case, choices=self.choices, initial=self._main_initial()
        )
        self.formsets = {}
        for spec in ROWS:
            initial = self._rows_initial(spec.prefix)
            # At least one vendor: the first row is there and required (its own "required"
            # error); removing every row gets the service's message ("vendors").
            minimum = 1 if spec.prefix == "vendors" else 0
            formset_class = forms.formset_factory(
                spec.form_class, extra=0, can_delete=True, max_num=MAX_ROWS, min_num=minimum
            )
            self.formsets[spec.prefix] = formset_class(
                data, prefix=spec.prefix, initial=initial, form_kwargs={"choices": self.choices}
            )
        self.section_errors: dict[str, list[str]] = {}
        self._set_connection_options()

    # --- initial values ------------------------------------------------------------------

    def _team_id(self) -> int | None:
        allowed = registrable_teams(self.user)
        if self.data is not None:
            try:
                wanted = int(self.data.get("team", ""))
            except ValueError:
                wanted = None
            if wanted and (
                (self.use_case is not None and wanted == self.use_case.team_id)
                or allowed.filter(pk=wanted).exists()
            ):
                return wanted
        if self.use_case is not None:
            return self.use_case.team_id
        return allowed.values_list("pk", flat=True).first()

    def _main_initial(self) -> dict:
        uc = self.use_case
        if uc is None:
            return {"team": self.team_id, "builders": [self.user.pk]}
        related = ("team", "backup_owner", "builders")
        initial = {name: getattr(uc, name) for name in UseCaseForm.base_fields if name not in related}
        initial.update(team=uc.team_id, backup_owner=uc.backup_owner_id)
        initial["builders"] = list(uc.builders.values_list("pk", flat=True))
        return initial

    def _rows_initial(self, prefix: str) -> list[dict]:
        uc = self.use_case
        if uc is None:
            return []
        if prefix == "vendors":
            return [
                {"new_vendor_name": vu.vendor.name, "model_name": vu.model.name if vu.model else ""}
                for vu in uc.vendor_uses.select_related("vendor", "model").order_by("vendor__name", "id")
            ]
        if prefix == "data_accesses":
            return [
                {"data_source": a.data_source_id, "access": a.access, "purpose": a.purpose}
                for a in uc.data_accesses.select_related("data_source").order_by("data_source__name")
            ]
        if prefix == "credentials":
            return [
                {"credential": u.credential_id, "purpose": u.purpose}
                for u in uc.credential_uses.select_related("credential").order_by("credential__name")
            ]
        if prefix == "feeds":
            return [
                {"other": c.target_id, "what_flows": c.what_flows, "classification": c.classification}
                for c in uc.feeds.order_by("id")
            ]
        if prefix == "fed_by":
            return [
                {"other": c.source_id, "what_flows": c.what_flows, "classification": c.classification}
                for c in uc.fed_by.order_by("id")
            ]
        if prefix == "documents":
            return [
                {"document": u.document_id, "version": u.version} for u in uc.foundation_uses.order_by("id")
            ]
        return []

    def _set_connection_options(self) -> None:
        selected: set[int] = set()
        searches: dict[tuple[str, int], str] = {}
        for prefix in ("feeds", "fed_by"):
            for i, form in enumerate(self.formsets[prefix].forms):
                value = form["other"].value()
                try:
                    if value:
                        selected.add(int(value))
                except (TypeError, ValueError):
                    pass
                text = (form["find"].value() or "").strip() if self.bound else ""
                if text and not secret_scan(text):
                    searches[(prefix, i)] = text
        shared, found = self.choices.connection_options(selected_ids=selected, searches=searches)
        for prefix in ("feeds", "fed_by"):
            for i, form in enumerate(self.formsets[prefix].forms):
                options = found.get((prefix, i))
                if options is not None:
                    ids = {pk for pk, _ in options}
                    options = options + [o for o in shared if o[0] not in ids]
                form.fields["other"].widget.choices = [("", "Choose…"), *(options or shared)]
                form.search_results = found.get((prefix, i))

    # --- validation and the service's contract -------------------------------------------

    def is_valid(self) -> bool:
        valid = self.main.is_valid()
        for formset in self.formsets.values():
            valid = formset.is_valid() and valid
        return valid

    def _rows(self, prefix: str) -> list[tuple[int, forms.Form]]:
        """``(form index, form)`` of the rows to save: filled in and not removed, in order."""
        rows = []
        for i, form in enumerate(self.formsets[prefix].forms):
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            rows.append((i, form))
        return rows

    def service_input(self) -> tuple[dict, RegistrationLinks]:
        """``(fields, links)`` for ``use_case_register``/``use_case_edit`` (after ``is_valid``).

        Every link set is given, so an edit replaces each with what the page shows. Remembers
        which form row each link came from, to put the service's errors on the right row.
        """
        self._row_of: dict[str, list[int]] = {}

        def rows(prefix):
            found = self._rows(prefix)
            self._row_of[prefix] = [i for i, _ in found]
            return [form for _, form in found]

        vendors = [
            VendorChoice(
                new_vendor_name=f.cleaned_data["new_vendor_name"], model_name=f.cleaned_data["model_name"]
            )
            for f in rows("vendors")
        ]
        links = RegistrationLinks(
            vendors=vendors,
            data_accesses=[f.to_input() for f in rows("data_accesses")],
            credentials=[f.to_input() for f in rows("credentials")],
            feeds=[f.to_input() for f in rows("feeds")],
            fed_by=[f.to_input() for f in rows("fed_by")],
            foundation_documents=[
                (f.cleaned_data["document"], f.cleaned_data["version"]) for f in rows("documents")
            ],
            builders=list(self.main.cleaned_data.get("builders") or []),
        )
        return self.main.service_fields(), links

    def add_errors(self, errors: dict) -> None:
        """Put errors keyed as the service keys them on the field a person would fix.

        Args:
            errors: ``{key: message or [messages]}`` from ``ValidationError.message_dict`` or
                ``SecretValueError.errors``: ``"name"``, ``"vendors"``, ``"credentials-0"``,
                ``"credentials-0-expires_on"`` (the index counts saved rows) or, for the
                guard's refusals of what was sent, the inputs' own names
                (``"credentials-2-vault_reference"``, the index of the form row).
        """
        row_of = getattr(self, "_row_of", {})
        for key, messages in errors.items():
            messages = [messages] if isinstance(messages, str) else list(messages)
            form, name = self._target(key, row_of)
            for message in messages:
                if form is None:
                    self.section_errors.setdefault(name, []).append(message)
                    continue
                _ensure_cleaned(form)
                if name is not None:
                    form._errors.pop(name, None)  # the guard's message replaces "required" & co
                form.add_error(name, message)

    def add_sent_errors(self, errors: dict) -> None:
        """Like ``add_errors`` for keys that are input names (the row index is the form's)."""
        saved, self._row_of = getattr(self, "_row_of", {}), {}
        try:
            self.add_errors(errors)
        finally:
            self._row_of = saved

    def _target(self, key: str, row_of: dict) -> tuple[forms.Form | None, str | None]:
        """The form and field for an error key; ``(None, section)`` for a whole formset."""
        if key in self.main.fields:
            return self.main, key
        if key in ROWS_BY_PREFIX:
            return None, key
        prefix, _, rest = key.partition("-")
        # Prefixes with an underscore ("data_accesses-0-purpose") split on the first "-".
        if prefix in ROWS_BY_PREFIX:
            index_text, _, field_name = rest.partition("-")
            if index_text.isdigit():
                index = int(index_text)
                mapping = row_of.get(prefix)
                if mapping is not None and index < len(mapping):
                    index = mapping[index]
                forms_ = self.formsets[prefix].forms
                if index < len(forms_):
                    form = forms_[index]
                    return form, (field_name if field_name in form.fields else None)
            return None, prefix
        return self.main, None

    def quiet(self) -> None:
        """Forget validation errors (re-rendering after "Add" or a search, not a save)."""
        for form in self.all_forms():
            form._errors = ErrorDict()
            if not hasattr(form, "cleaned_data"):
                form.cleaned_data = {}
        for formset in self.formsets.values():
            formset._errors = [form._errors for form in formset.forms]
            formset._non_form_errors = formset.error_class(error_class="nonform", renderer=formset.renderer)

    def all_forms(self) -> list[forms.Form]:
        out = [self.main]
        for formset in self.formsets.values():
            out.extend(formset.forms)
        return out

    # --- the secret guard's view of what was sent -------------------------------------------

    @staticmethod
    def sent_field_names(data, *, only_prefix: str | None = None) -> list[str]:
        """The keys of ``data`` that are inputs of the page (main fields or rows), optionally
        only those of one formset."""
        names = []
        main_fields = set(UseCaseForm.base_fields)
        for key in data:
            match = _ROW_KEY.match(key)
            if match and match["prefix"] in ROWS_BY_PREFIX:
                spec = ROWS_BY_PREFIX[match["prefix"]]
                if match["field"] in spec.form_class.base_fields and (only_prefix in (None, spec.prefix)):
                    names.append(key)
            elif key in main_fields and only_prefix is None:
                names.append(key)
        return names

    # --- the live risk preview ----------------------------------------------------------------

    def risk_facts(self) -> RiskFacts:
        """What the unsaved input touches, read leniently: invalid rows and fields are left out.

        New data sources and credentials are described by what was typed; a name that looks
        like a secret is replaced (the preview shows names in its reasons).
        """
        self.is_valid()
        main = self.main.cleaned_data
        data = []
        for _, form in self._lenient_rows("data_accesses"):
            d = form.cleaned_data
            source = d.get("data_source")
            access = d.get("access") or AccessMode.READ
            writes = access in (AccessMode.WRITE, AccessMode.READ_WRITE)
            if source is not None:
                data.append(
                    DataFact(
                        source.name,
                        source.classification,
                        source.has_personal_data,
                        source.has_customer_data,
                        writes,
                    )
                )
            elif (d.get("new_source_name") or "").strip():
                data.append(
                    DataFact(
                        _shown_name(d["new_source_name"], "a new data source"),
                        d.get("new_source_classification") or DataClassification.INTERNAL,
                        bool(d.get("new_source_personal")),
                        bool(d.get("new_source_customer")),
                        writes,
                    )
                )
        unsafe = []
        for _, form in self._lenient_rows("credentials"):
            d = form.cleaned_data
            credential = d.get("credential")
            if credential is not None:
                if credential.storage in UNSAFE_CREDENTIAL_STORAGE:
                    unsafe.append((credential.name, CredentialStorage(credential.storage).label))
            else:  # a new credential: where it is said to be stored (unknown until said)
                storage = d.get("storage") or CredentialStorage.UNKNOWN
                if storage in UNSAFE_CREDENTIAL_STORAGE:
                    unsafe.append(
                        (_shown_name(d.get("name", ""), "a new credential"), CredentialStorage(storage).label)
                    )
        return RiskFacts(
            is_high_impact=bool(main.get("is_high_impact")),
            handles_personal_data=bool(main.get("handles_personal_data")),
            exposure=main.get("exposure") or Exposure.INTERNAL,
            autonomy=main.get("autonomy") or Autonomy.ASSISTIVE,
            data=tuple(data),
            unsafe_credentials=tuple(sorted(unsafe)),
        )

    def _lenient_rows(self, prefix: str):
        """Rows with anything valid in them, removed ones left out (errors ignored)."""
        formset = self.formsets[prefix]
        for i, form in enumerate(formset.forms):
            data = getattr(form, "cleaned_data", None) or {}
            if not form.has_changed() and i >= formset.initial_form_count():
                continue
            if data.get("DELETE"):
                continue
            yield i, form

    # --- rendering helpers -----------------------------------------------------------------------

    def describe_fields(self) -> None:
        """Link each input to its help text and errors (``aria-describedby``), mark invalid
        ones (``aria-invalid``) and put ``autofocus`` on the first invalid input in page order."""
        first = None
        for form in self.ordered_forms():
            for bound in form:
                ids = []
                attrs = bound.field.widget.attrs
                if bound.help_text:
                    ids.append(f"{bound.auto_id}-help")
                if bound.errors:
                    ids.insert(0, f"{bound.auto_id}-error")
                    attrs["aria-invalid"] = "true"
                    if first is None and not bound.is_hidden:
                        first = bound
                else:
                    attrs.pop("aria-invalid", None)
                if ids:
                    attrs["aria-describedby"] = " ".join(ids)
                attrs.pop("autofocus", None)
        if first is not None:
            first.field.widget.attrs["autofocus"] = True
        elif self.added:
            new_rows = self.formsets[self.added].forms
            if new_rows:
                bound = next(iter(new_rows[-1]))
                bound.field.widget.attrs["autofocus"] = True

    def ordered_forms(self) -> list[forms.Form]:
        """Forms in the order the page shows them (the required fields and vendors first)."""
        out = [self.main]
        for prefix in ("vendors", "data_accesses", "credentials", "feeds", "fed_by", "documents"):
            out.extend(self.formsets[prefix].forms)
        return out

    def error_summary(self) -> list[tuple[str, str, str]]:
        """``(anchor id, label, message)`` of every error, in page order, for the summary."""
        out = []
        for prefix, messages in self.section_errors.items():
            for message in messages:
                out.append(
                    (
                        f"fs-{prefix}",
                        ROWS_BY_PREFIX[prefix].legend if prefix in ROWS_BY_PREFIX else "",
                        message,
                    )
                )
        for form in self.ordered_forms():
            for message in form.non_field_errors():
                out.append((_form_anchor(form), _row_title(form), message))
            for bound in form:
                for message in bound.errors:
                    label = bound.label if form is self.main else f"{_row_title(form)}: {bound.label}"
                    out.append((bound.id_for_label or bound.auto_id, label, message))
        for prefix, formset in self.formsets.items():
            for message in formset.non_form_errors():
                out.append((f"fs-{prefix}", ROWS_BY_PREFIX[prefix].legend, message))
        return out


def _with_new_row(data, prefix: str):
    """``data`` with one more row in formset ``prefix``, holding the row form's initial values
    (so its selects start where an unbound row would, and the row still counts as empty)."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        index = max(0, int(data.get(key, "0")))
    except ValueError:
        index = 0
    if index >= MAX_ROWS:
        return data
    data[key] = str(index + 1)
    for name, form_field in ROWS_BY_PREFIX[prefix].form_class.base_fields.items():
        if form_field.initial not in (None, "") and not isinstance(form_field, forms.BooleanField):
            data[f"{prefix}-{index}-{name}"] = str(form_field.initial)
    return data


def _form_anchor(form) -> str:
    return f"row-{form.prefix}" if form.prefix else "use-case-form"


def _row_title(form) -> str:
    if not form.prefix:
        return "Use case"
    prefix, _, index = form.prefix.rpartition("-")
    spec = ROWS_BY_PREFIX.get(prefix)
    return f"{spec.legend if spec else prefix}, row {int(index) + 1}" if index.isdigit() else form.prefix


def _shown_name(name: str, fallback: str) -> str:
    """A typed name as the preview may show it: never one that looks like a secret."""
    name = (name or "").strip()
    return fallback if not name or secret_scan(name) else name[:200]


def _ensure_cleaned(form: forms.Form) -> None:
    if form._errors is None:
        form._errors = ErrorDict()
    if not hasattr(form, "cleaned_data"):
        form.cleaned_data = {}
