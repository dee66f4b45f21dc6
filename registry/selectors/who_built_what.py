"""The who-built-what query: what touches X, who built it, whom to call, and the blast radius.

Start from a credential, a data source, a vendor or one of its models, a person, a team, a
use case, or free text (``WhoBuiltWhatQuery``); ``who_built_what`` answers with every use
case that touches it directly, how it touches it, who owns, backs up and built it, its team's
leads with their contact details, its stage and review status, where its credentials are
stored (only for people who may see credential details), when it last changed and by whom,
and the **blast radius**: the use cases downstream of those along ``Connection`` (source
feeds target), level by level to a chosen depth, with the path that reaches each one and the
data sources they reach.

Everything is restricted to what the asker may see (``UseCase.objects.restrict``): the
incident pages and the API are for responders, reviewers and admins, who see everything,
but a use case's architecture map (``use_case_architecture``) is for anyone who may see it.

Cost: a fixed number of queries whatever the number of use cases: the subject (1), the
direct set (1-7 by kind), one query per level of the walk (``id__in`` the level's frontier,
so cycles and diamonds cost nothing more), then one query each for the rows, builders, team
leads, credentials (two), data access, vendors and the latest history entry of each (one
``DISTINCT ON`` on PostgreSQL). 15 queries for a credential at depth 3, whether it is used by
10 use cases or 5,000. Rows are read as values, not model instances, and on PostgreSQL a
long id list travels as one array parameter. Measured by ``bench/who_built_what.py``: a
credential used by 1,000 use cases (2,500 with the blast radius) answers in about 0.2 s, its
page in about 0.3 s.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone

from accounts.choices import MembershipRole
from accounts.models import Membership, Team, User
from accounts.permissions import can_view_credential_details, standing_of, use_case_view_filter

from ..choices import (
    AccessMode,
    CredentialKind,
    CredentialStorage,
    DataClassification,
    LifecycleStage,
    ReviewStatus,
)
from ..models import (
    AIModel,
    Connection,
    Credential,
    CredentialUse,
    DataAccess,
    DataSource,
    HistoryEntry,
    UseCase,
    Vendor,
    VendorUse,
)
from .credentials import credentials_visible_to
from .search import use_cases_search

#: The blast radius's default and largest depth (connections followed downstream).
DEFAULT_DEPTH = 3
MAX_DEPTH = 6
#: A free-text query lists at most this many use cases matching by name or purpose (a word
#: like "data" matches thousands; the answer says when it stopped).
TEXT_MATCH_LIMIT = 500

#: Query parameter -> what it names. ``q`` is free text; the others take an id.
SUBJECT_KINDS = {
    "credential": "Credential",
    "data_source": "Data source",
    "vendor": "Vendor",
    "model": "Model or product",
    "person": "Person",
    "team": "Team",
    "use_case": "Use case",
    "q": "Text",
}

_STAGE_LABELS = dict(LifecycleStage.choices)
_REVIEW_LABELS = dict(ReviewStatus.choices)
_STORAGE_LABELS = dict(CredentialStorage.choices)
_KIND_LABELS = dict(CredentialKind.choices)
_CLASSIFICATION_LABELS = dict(DataClassification.choices)
_CLASSIFICATION_RANK = {value: rank for rank, value in enumerate(DataClassification.values)}
#: Use-case columns the answer never shows (the imported row and the search vector are big).
_UNSHOWN_FIELDS = (
    "source_row",
    "search_vector",
    "purpose",
    "description",
    "outputs",
    "human_in_the_loop",
    "high_impact_justification",
    "risk_reasons",
)
_ACCESS_VERBS = {
    AccessMode.READ: "reads",
    AccessMode.WRITE: "writes",
    AccessMode.READ_WRITE: "reads and writes",
}


class WhoBuiltWhatQueryError(ValueError):
    """The query's parameters are wrong (an API 400, a page's message).

    Attributes:
        errors: parameter -> list of messages.
    """

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items()))


class SubjectNotFound(LookupError):
    """No such credential, data source, vendor, model, person, team or use case visible to
    the asker (a 404)."""


@dataclass(frozen=True)
class WhoBuiltWhatQuery:
    """What to start from: ``kind`` (a key of ``SUBJECT_KINDS``), ``value`` (an id, or the
    text for ``q``) and the blast radius's ``depth`` (0 to ``MAX_DEPTH``)."""

    kind: str
    value: int | str
    depth: int = DEFAULT_DEPTH

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> "WhoBuiltWhatQuery":
        """Read a query from request parameters (``?credential=12&depth=2``, ``?q=hubspot``).

        Exactly one subject parameter must be given; ``depth`` is optional.

        Raises:
            WhoBuiltWhatQueryError: none or several subjects, an id that is not a whole
                number, blank text, or a depth outside 0..MAX_DEPTH.
        """
        given = [kind for kind in SUBJECT_KINDS if (params.get(kind) or "").strip()]
        errors: dict[str, list[str]] = {}
        if not given:
            errors["subject"] = [
                "Give one of: " + ", ".join(f"{kind}=" for kind in SUBJECT_KINDS) + " (an id, or text for q)."
            ]
        elif len(given) > 1:
            errors["subject"] = [f"Give only one subject, not {', '.join(given)}."]
        depth_text = (params.get("depth") or "").strip()
        depth = DEFAULT_DEPTH
        if depth_text:
            if not depth_text.isdigit() or int(depth_text) > MAX_DEPTH:
                errors["depth"] = [f"A whole number from 0 to {MAX_DEPTH}."]
            else:
                depth = int(depth_text)
        value: int | str = ""
        if len(given) == 1:
            kind = given[0]
            raw = params[kind].strip()
            if kind == "q":
                value = raw[:200]
            elif not raw.isdigit() or len(raw) > 18:
                errors[kind] = ["An id: a whole number."]
            else:
                value = int(raw)
        if errors:
            raise WhoBuiltWhatQueryError(errors)
        return cls(kind=given[0], value=value, depth=depth)

    def as_params(self) -> dict[str, str]:
        """The query as request parameters (for links, the CSV and the incident's record)."""
        return {self.kind: str(self.value), "depth": str(self.depth)}


@dataclass
class Contact:
    """A person as a responder needs them: how to reach them."""

    id: int
    username: str
    name: str
    email: str
    phone: str
    is_active: bool

    @classmethod
    def of(cls, user: User | None) -> "Contact | None":
        if user is None:
            return None
        return cls(
            id=user.pk,
            username=user.username,
            name=user.get_full_name() or user.username,
            email=user.email,
            phone=user.phone,
            is_active=user.is_active,
        )

    def __str__(self):
        return self.name


@dataclass
class CredentialInfo:
    """A credential reference. ``storage``, ``vault_reference``, ``scope``, ``holder`` and the
    dates are filled only for people who may see credential details (else ``details_shown``
    is False and they are empty)."""

    id: int
    name: str
    kind: str
    kind_label: str
    issuer: str
    purpose: str = ""
    details_shown: bool = False
    storage: str = ""
    storage_label: str = ""
    unsafe: bool = False
    vault_reference: str = ""
    scope: str = ""
    holder: Contact | None = None
    last_rotated_on: dt.date | None = None
    expires_on: dt.date | None = None

    @classmethod
    def of(cls, credential: Credential, *, details: bool, purpose: str = "") -> "CredentialInfo":
        info = cls(
            id=credential.pk,
            name=credential.name,
            kind=credential.kind,
            kind_label=_KIND_LABELS.get(credential.kind, credential.kind),
            issuer=credential.issuer.name if credential.issuer_id else "",
            purpose=purpose,
        )
        if details:
            info.details_shown = True
            info.storage = credential.storage
            info.storage_label = _STORAGE_LABELS.get(credential.storage, credential.storage)
            info.unsafe = credential.is_unsafely_stored
            info.vault_reference = credential.vault_reference
            info.scope = credential.scope
            info.holder = Contact.of(credential.owner) if credential.owner_id else None
            info.last_rotated_on = credential.last_rotated_on
            info.expires_on = credential.expires_on
        return info


@dataclass
class DataSourceInfo:
    """A data source a use case reaches, with its classification and how it is accessed."""

    id: int
    name: str
    classification: str
    classification_label: str
    has_personal_data: bool
    has_customer_data: bool
    access: str = ""
    access_label: str = ""


@dataclass
class PathStep:
    """One use case along a path of connections."""

    id: int
    name: str


@dataclass
class AffectedUseCase:
    """A use case in the answer: who to call, what it is, how it is touched, and where."""

    id: int
    name: str
    url: str
    team: str
    team_slug: str
    team_leads: list[Contact]
    owner: Contact | None
    backup_owner: Contact | None
    builders: list[Contact]
    contact_email: str
    stage: str
    stage_label: str
    review_status: str
    review_label: str
    risk_tier: str
    is_draft: bool
    suspended_at: dt.datetime | None
    #: How it touches the subject ("uses the credential", "reads X", "downstream of Y").
    how: list[str]
    #: 0: touches the subject directly; n: n connections downstream of a direct one.
    depth: int
    #: From a directly affected use case to this one (just itself at depth 0).
    path: list[PathStep]
    #: What flows along the last connection of the path (downstream ones).
    via: str = ""
    credentials: list[CredentialInfo] = field(default_factory=list)
    credential_details: bool = False
    data_sources: list[DataSourceInfo] = field(default_factory=list)
    vendors: list[str] = field(default_factory=list)
    last_changed_at: dt.datetime | None = None
    last_changed_by: str = ""

    @property
    def how_text(self) -> str:
        return "; ".join(self.how)

    @property
    def path_text(self) -> str:
        return " → ".join(step.name for step in self.path)


@dataclass
class ReachedDataSource:
    """A data source reached by downstream use cases (the blast radius's data)."""

    source: DataSourceInfo
    use_cases: list[str]


@dataclass
class Subject:
    """What the query started from, as the page names it."""

    kind: str
    kind_label: str
    id: int | None
    label: str
    url: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class WhoBuiltWhatAnswer:
    """The answer. ``use_cases`` holds the direct ones (depth 0, by name) then the downstream
    ones (by depth, then name). For a person, ``credentials_held`` lists the credentials they
    hold whose details the asker may see, ``credentials_held_hidden`` counts the others."""

    query: WhoBuiltWhatQuery
    subject: Subject
    generated_at: dt.datetime
    use_cases: list[AffectedUseCase]
    reached_data_sources: list[ReachedDataSource]
    credentials_held: list[CredentialInfo] = field(default_factory=list)
    credentials_held_hidden: int = 0
    #: True when connections continue past the chosen depth (ask again with a larger one).
    more_beyond_depth: bool = False
    #: True when a free-text query stopped at ``TEXT_MATCH_LIMIT`` matches.
    truncated: bool = False

    @property
    def direct(self) -> list[AffectedUseCase]:
        return [uc for uc in self.use_cases if uc.depth == 0]

    @property
    def downstream(self) -> list[AffectedUseCase]:
        return [uc for uc in self.use_cases if uc.depth > 0]

    @property
    def credential_details(self) -> bool:
        """Whether any storage detail is shown (the page adds its columns only then)."""
        return any(uc.credential_details for uc in self.use_cases) or any(
            c.details_shown for c in self.credentials_held
        )

    def people_to_notify(self) -> list[tuple[Contact, list[AffectedUseCase]]]:
        """Every owner and backup owner of an affected use case, once, with their use cases.

        Returns:
            ``[(contact, [use cases they own or back up])]`` by name; people who left (inactive)
            are included so the page shows them, the incident service skips them.
        """
        people: dict[int, Contact] = {}
        theirs: dict[int, list[AffectedUseCase]] = defaultdict(list)
        for uc in self.use_cases:
            for person in (uc.owner, uc.backup_owner):
                # Owner and backup owner may be one person: list the use case once.
                if person is not None and (not theirs[person.id] or theirs[person.id][-1] is not uc):
                    people[person.id] = person
                    theirs[person.id].append(uc)
        return sorted(
            ((people[pid], theirs[pid]) for pid in people),
            key=lambda pair: (pair[0].name.lower(), pair[0].id),
        )

    def mailboxes_to_notify(self) -> list[tuple[str, list[AffectedUseCase]]]:
        """Contact mailboxes of affected use cases with no named owner or backup owner (common
        in imported inventories), once each (case-insensitive), with their use cases."""
        boxes: dict[str, list[AffectedUseCase]] = defaultdict(list)
        for uc in self.use_cases:
            if uc.owner is None and uc.backup_owner is None and uc.contact_email:
                boxes[uc.contact_email.lower()].append(uc)
        return sorted(boxes.items())

    def as_dict(self) -> dict:
        """The answer as JSON-safe data (the API's body; dates as ISO strings).

        Written out field by field: ``dataclasses.asdict`` deep-copies every value and took
        half a second on 2,500 use cases. A person, credential or data source met on many
        rows is converted once.
        """
        memo: dict = {}
        return {
            "query": {"kind": self.query.kind, "value": self.query.value, "depth": self.query.depth},
            "subject": {
                "kind": self.subject.kind,
                "kind_label": self.subject.kind_label,
                "id": self.subject.id,
                "label": self.subject.label,
                "url": self.subject.url,
                "facts": [list(fact) for fact in self.subject.facts],
            },
            "generated_at": self.generated_at.isoformat(),
            "more_beyond_depth": self.more_beyond_depth,
            "truncated": self.truncated,
            "credential_details": self.credential_details,
            "use_cases": [_use_case_dict(uc, memo) for uc in self.use_cases],
            "reached_data_sources": [
                {"source": _source_dict(r.source, memo), "use_cases": list(r.use_cases)}
                for r in self.reached_data_sources
            ],
            "credentials_held": [_credential_dict(c, memo) for c in self.credentials_held],
            "credentials_held_hidden": self.credentials_held_hidden,
        }


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _contact_dict(person: Contact | None, memo: dict) -> dict | None:
    if person is None:
        return None
    key = ("contact", id(person))
    if key not in memo:
        memo[key] = {
            "id": person.id,
            "username": person.username,
            "name": person.name,
            "email": person.email,
            "phone": person.phone,
            "is_active": person.is_active,
        }
    return memo[key]


def _credential_dict(info: CredentialInfo, memo: dict) -> dict:
    """A credential reference; storage fields only when ``details_shown``."""
    key = ("credential", id(info))
    if key not in memo:
        data = {
            "id": info.id,
            "name": info.name,
            "kind": info.kind,
            "kind_label": info.kind_label,
            "issuer": info.issuer,
            "purpose": info.purpose,
            "details_shown": info.details_shown,
        }
        if info.details_shown:
            data.update(
                storage=info.storage,
                storage_label=info.storage_label,
                unsafe=info.unsafe,
                vault_reference=info.vault_reference,
                scope=info.scope,
                holder=_contact_dict(info.holder, memo),
                last_rotated_on=_iso(info.last_rotated_on),
                expires_on=_iso(info.expires_on),
            )
        memo[key] = data
    return memo[key]


def _source_dict(source: DataSourceInfo, memo: dict) -> dict:
    key = ("source", id(source))
    if key not in memo:
        memo[key] = {
            "id": source.id,
            "name": source.name,
            "classification": source.classification,
            "classification_label": source.classification_label,
            "has_personal_data": source.has_personal_data,
            "has_customer_data": source.has_customer_data,
            "access": source.access,
            "access_label": source.access_label,
        }
    return memo[key]


def _use_case_dict(uc: AffectedUseCase, memo: dict) -> dict:
    return {
        "id": uc.id,
        "name": uc.name,
        "url": uc.url,
        "team": uc.team,
        "team_slug": uc.team_slug,
        "team_leads": [_contact_dict(c, memo) for c in uc.team_leads],
        "owner": _contact_dict(uc.owner, memo),
        "backup_owner": _contact_dict(uc.backup_owner, memo),
        "builders": [_contact_dict(c, memo) for c in uc.builders],
        "contact_email": uc.contact_email,
        "stage": uc.stage,
        "stage_label": uc.stage_label,
        "review_status": uc.review_status,
        "review_label": uc.review_label,
        "risk_tier": uc.risk_tier,
        "is_draft": uc.is_draft,
        "suspended_at": _iso(uc.suspended_at),
        "how": list(uc.how),
        "depth": uc.depth,
        "path": [{"id": step.id, "name": step.name} for step in uc.path],
        "via": uc.via,
        "credentials": [_credential_dict(c, memo) for c in uc.credentials],
        "credential_details": uc.credential_details,
        "data_sources": [_source_dict(s, memo) for s in uc.data_sources],
        "vendors": list(uc.vendors),
        "last_changed_at": _iso(uc.last_changed_at),
        "last_changed_by": uc.last_changed_by,
    }


# --- the query -----------------------------------------------------------------------------------


def _ids(ids: list[int]):
    """``ids`` for an ``__in`` lookup. On PostgreSQL, one array parameter (``IN (SELECT
    unnest(%s))``) instead of one parameter per id: with thousands of ids, building and
    sending the list cost more than running the query."""
    if connection.vendor == "postgresql" and len(ids) > 50:
        return RawSQL("SELECT unnest(%s::bigint[])", (list(ids),))
    return ids


def _visible_ids_condition(user) -> Q | None:
    """``None`` when ``user`` sees every use case, else the condition on ``UseCase``."""
    return use_case_view_filter(user)


def _visible_subquery(condition: Q):
    return UseCase.objects.filter(condition).values("pk")


def _restrict_links(queryset, condition: Q | None, field_name: str = "use_case"):
    """Keep link rows (credential use, data access, ...) whose use case the asker may see."""
    if condition is None:
        return queryset
    return queryset.filter(**{f"{field_name}__in": _visible_subquery(condition)})


class _Direct:
    """The direct set being gathered: use case id -> reasons, in first-seen order."""

    def __init__(self):
        self.how: dict[int, list[str]] = {}

    def add(self, use_case_id: int, reason: str) -> None:
        reasons = self.how.setdefault(use_case_id, [])
        if reason not in reasons:
            reasons.append(reason)


def _with_purpose(text: str, purpose: str) -> str:
    return f"{text} ({purpose})" if purpose else text


def _subject_credential(user, pk: int, direct: _Direct, condition) -> Subject:
    try:
        credential = credentials_visible_to(user).get(pk=pk)
    except Credential.DoesNotExist:
        raise SubjectNotFound("No credential with this id is visible to you.") from None
    uses = _restrict_links(CredentialUse.objects.filter(credential_id=pk), condition)
    for use_case_id, purpose in uses.values_list("use_case_id", "purpose"):
        direct.add(use_case_id, _with_purpose("uses the credential", purpose))
    facts = [("Kind", _KIND_LABELS.get(credential.kind, credential.kind))]
    if credential.issuer_id:
        facts.append(("Issuer", credential.issuer.name))
    facts.append(("Where it is stored", _STORAGE_LABELS.get(credential.storage, credential.storage)))
    if credential.vault_reference:
        facts.append(("Vault reference", credential.vault_reference))
    if credential.owner_id:
        facts.append(("Held by", str(credential.owner)))
    if credential.team_id:
        facts.append(("Team", credential.team.name))
    if credential.scope:
        facts.append(("Scope", credential.scope))
    facts.append(
        (
            "Last rotated",
            credential.last_rotated_on.isoformat() if credential.last_rotated_on else "never recorded",
        )
    )
    return Subject(
        "credential",
        SUBJECT_KINDS["credential"],
        credential.pk,
        credential.name,
        reverse("registry:credential_detail", args=[credential.pk]),
        facts,
    )


def _subject_data_source(user, pk: int, direct: _Direct, condition) -> Subject:
    try:
        source = DataSource.objects.select_related("owner_team").get(pk=pk)
    except DataSource.DoesNotExist:
        raise SubjectNotFound("No data source with this id.") from None
    accesses = _restrict_links(DataAccess.objects.filter(data_source_id=pk), condition)
    for use_case_id, access, purpose in accesses.values_list("use_case_id", "access", "purpose"):
        direct.add(use_case_id, _with_purpose(_ACCESS_VERBS.get(access, access) + " it", purpose))
    facts = [("Classification", _CLASSIFICATION_LABELS.get(source.classification, source.classification))]
    if source.system:
        facts.append(("System", source.system))
    facts.append(("Personal data", "yes" if source.has_personal_data else "no"))
    facts.append(("Customer data", "yes" if source.has_customer_data else "no"))
    if source.owner_team_id:
        facts.append(("Owning team", source.owner_team.name))
    return Subject("data_source", SUBJECT_KINDS["data_source"], source.pk, source.name, "", facts)


def _subject_vendor(user, pk: int, direct: _Direct, condition) -> Subject:
    try:
        vendor = Vendor.objects.get(pk=pk)
    except Vendor.DoesNotExist:
        raise SubjectNotFound("No vendor with this id.") from None
    uses = _restrict_links(VendorUse.objects.filter(vendor_id=pk), condition)
    for use_case_id, model_name in uses.values_list("use_case_id", "model__name"):
        direct.add(use_case_id, f"calls {vendor.name}" + (f" ({model_name})" if model_name else ""))
    # A vendor breach also exposes the keys it issued: the use cases using them are affected.
    keys = _restrict_links(CredentialUse.objects.filter(credential__issuer_id=pk), condition)
    for use_case_id, credential_name in keys.values_list("use_case_id", "credential__name"):
        direct.add(use_case_id, f"uses a credential issued by {vendor.name}: {credential_name}")
    return Subject(
        "vendor",
        SUBJECT_KINDS["vendor"],
        vendor.pk,
        vendor.name,
        reverse("registry:vendor_detail", args=[vendor.slug]),
        [("Website", vendor.website)] if vendor.website else [],
    )


def _subject_model(user, pk: int, direct: _Direct, condition) -> Subject:
    try:
        model = AIModel.objects.select_related("vendor").get(pk=pk)
    except AIModel.DoesNotExist:
        raise SubjectNotFound("No model or product with this id.") from None
    uses = _restrict_links(VendorUse.objects.filter(model_id=pk), condition)
    for use_case_id in uses.values_list("use_case_id", flat=True):
        direct.add(use_case_id, f"calls {model.vendor.name} {model.name}")
    return Subject(
        "model",
        SUBJECT_KINDS["model"],
        model.pk,
        f"{model.vendor.name} {model.name}",
        reverse("registry:vendor_detail", args=[model.vendor.slug]),
        [("Vendor", model.vendor.name)],
    )


def _subject_team(user, pk: int, direct: _Direct, condition) -> Subject:
    try:
        team = Team.objects.select_related("parent").get(pk=pk)
    except Team.DoesNotExist:
        raise SubjectNotFound("No team with this id.") from None
    use_cases = UseCase.objects.filter(Q(team_id=pk) | Q(team__parent_id=pk))
    if condition is not None:
        use_cases = use_cases.filter(condition)
    for use_case_id, team_name in use_cases.values_list("id", "team__name"):
        direct.add(use_case_id, "owned by the team" if team_name == team.name else f"owned by {team_name}")
    facts = [("Part of", team.parent.name)] if team.parent_id else []
    if team.email:
        facts.append(("Team mailbox", team.email))
    return Subject(
        "team",
        SUBJECT_KINDS["team"],
        team.pk,
        team.name,
        reverse("registry:team_detail", args=[team.slug]),
        facts,
    )


def _subject_use_case(user, pk: int, direct: _Direct, condition) -> Subject:
    use_cases = UseCase.objects.filter(pk=pk)
    if condition is not None:
        use_cases = use_cases.filter(condition)
    name = use_cases.values_list("name", flat=True).first()
    if name is None:
        raise SubjectNotFound("No use case with this id is visible to you.")
    direct.add(pk, "is the use case asked about")
    return Subject(
        "use_case", SUBJECT_KINDS["use_case"], pk, name, reverse("registry:use_case_detail", args=[pk])
    )


def _subject_person(user, pk: int, direct: _Direct, condition) -> tuple[Subject, list[CredentialInfo], int]:
    try:
        person = User.objects.get(pk=pk)
    except User.DoesNotExist:
        raise SubjectNotFound("No person with this id.") from None
    visible = UseCase.objects.all() if condition is None else UseCase.objects.filter(condition)
    rows = visible.filter(
        Q(owner_id=pk)
        | Q(backup_owner_id=pk)
        | Q(id__in=UseCase.builders.through.objects.filter(user_id=pk).values("usecase_id"))
    ).values_list("id", "owner_id", "backup_owner_id")
    built = set(UseCase.builders.through.objects.filter(user_id=pk).values_list("usecase_id", flat=True))
    for use_case_id, owner_id, backup_id in rows:
        if owner_id == pk:
            direct.add(use_case_id, "owns it")
        if backup_id == pk:
            direct.add(use_case_id, "backs it up")
        if use_case_id in built:
            direct.add(use_case_id, "built it")
    held = list(credentials_visible_to(user).filter(owner_id=pk).order_by("name", "id"))
    hidden = Credential.objects.filter(owner_id=pk).count() - len(held)
    shown_ids = {c.pk for c in held}
    # Who leaves with the keys: the use cases using a credential this person holds.
    uses = _restrict_links(CredentialUse.objects.filter(credential__owner_id=pk), condition)
    for use_case_id, credential_id, credential_name in uses.values_list(
        "use_case_id", "credential_id", "credential__name"
    ):
        label = credential_name if credential_id in shown_ids else "a credential"
        direct.add(use_case_id, f"uses {label} they hold")
    facts = []
    if person.title:
        facts.append(("Title", person.title))
    if person.email:
        facts.append(("Email", person.email))
    if person.phone:
        facts.append(("Phone", person.phone))
    if not person.is_active:
        facts.append(("Status", "left the organisation"))
    subject = Subject(
        "person",
        SUBJECT_KINDS["person"],
        person.pk,
        person.get_full_name() or person.username,
        reverse("registry:person_detail", args=[person.username]),
        facts,
    )
    return subject, [CredentialInfo.of(c, details=True) for c in held], hidden


def _subject_text(user, text: str, direct: _Direct, condition) -> tuple[Subject, bool]:
    """Use cases whose name or purpose matches, and those touching a credential, data source,
    vendor or model whose name contains the text."""
    visible = UseCase.objects.all() if condition is None else UseCase.objects.filter(condition)
    matched = list(
        use_cases_search(visible, text)
        .order_by("-rank", "name", "id")
        .values_list("id", flat=True)[: TEXT_MATCH_LIMIT + 1]
    )
    truncated = len(matched) > TEXT_MATCH_LIMIT
    for use_case_id in matched[:TEXT_MATCH_LIMIT]:
        direct.add(use_case_id, f"its description matches “{text}”")
    credentials = credentials_visible_to(user).filter(name__icontains=text).values("pk")
    for use_case_id, name in _restrict_links(
        CredentialUse.objects.filter(credential__in=credentials), condition
    ).values_list("use_case_id", "credential__name"):
        direct.add(use_case_id, f"uses the credential {name}")
    sources = DataSource.objects.filter(Q(name__icontains=text) | Q(system__icontains=text)).values("pk")
    for use_case_id, name, access in _restrict_links(
        DataAccess.objects.filter(data_source__in=sources), condition
    ).values_list("use_case_id", "data_source__name", "access"):
        direct.add(use_case_id, f"{_ACCESS_VERBS.get(access, access)} {name}")
    vendors = Vendor.objects.filter(name__icontains=text).values("pk")
    models = AIModel.objects.filter(name__icontains=text).values("pk")
    for use_case_id, vendor_name, model_name in _restrict_links(
        VendorUse.objects.filter(Q(vendor__in=vendors) | Q(model__in=models)), condition
    ).values_list("use_case_id", "vendor__name", "model__name"):
        direct.add(use_case_id, f"calls {vendor_name}" + (f" ({model_name})" if model_name else ""))
    return Subject("q", SUBJECT_KINDS["q"], None, text), truncated


_SUBJECTS = {
    "credential": _subject_credential,
    "data_source": _subject_data_source,
    "vendor": _subject_vendor,
    "model": _subject_model,
    "team": _subject_team,
    "use_case": _subject_use_case,
}


@dataclass
class _Reached:
    depth: int
    parent: int | None
    via: str


def connections_walk(
    start_ids: Iterable[int], *, depth: int, condition: Q | None, upstream: bool = False
) -> tuple[dict[int, _Reached], bool]:
    """Follow connections from ``start_ids``, breadth-first, one query per level.

    Args:
        start_ids: the use cases to start from (depth 0).
        depth: how many connections to follow (0 follows none).
        condition: ``use_case_view_filter`` of the asker (``None``: all); use cases the asker
            may not see are neither reported nor walked through.
        upstream: follow connections backwards (who feeds these) instead of downstream.

    Returns:
        ``({use case id: _Reached(depth, parent id, what flows)}, more beyond depth)`` for the
        use cases reached (not the starting ones). Each is reached once, at its smallest
        depth, by the first connection found (ordered by ids, so answers are stable): cycles
        end the walk instead of looping. One query per level plus one to tell whether more
        lies beyond ``depth``.
    """
    near, far = ("target_id", "source_id") if upstream else ("source_id", "target_id")
    visited = set(start_ids)
    reached: dict[int, _Reached] = {}
    frontier = sorted(visited)
    level = 0
    while frontier:
        edges = Connection.objects.filter(**{f"{near}__in": _ids(frontier)})
        if condition is not None:
            edges = edges.filter(**{f"{far.removesuffix('_id')}__in": _visible_subquery(condition)})
        rows = edges.order_by(near, far).values_list(near, far, "what_flows")
        if level == depth:
            return reached, any(other not in visited for _, other, _ in rows)
        level += 1
        next_frontier = []
        for here, other, what_flows in rows:
            if other in visited:
                continue
            visited.add(other)
            reached[other] = _Reached(level, here, what_flows)
            next_frontier.append(other)
        frontier = next_frontier
    return reached, False


def _path(
    use_case_id: int, reached: dict[int, _Reached], names: dict[int, str], memo: dict | None = None
) -> list[PathStep]:
    """The use cases from a start of the walk to ``use_case_id`` (``memo``: shared steps)."""
    ids = [use_case_id]
    while ids[-1] in reached and reached[ids[-1]].parent is not None:
        ids.append(reached[ids[-1]].parent)
    memo = {} if memo is None else memo
    path = []
    for pk in reversed(ids):
        if pk not in memo:
            memo[pk] = PathStep(pk, names.get(pk, f"#{pk}"))
        path.append(memo[pk])
    return path


def _latest_changes(ids: list[int]) -> dict[int, tuple]:
    """``{use case id: (when, who)}`` of each one's latest history entry, in one query.

    PostgreSQL: ``DISTINCT ON (use_case_id)`` over the ``(use_case, -at)`` index (one pass;
    a correlated subquery per row cost 0.5 s at 12,500 use cases). Elsewhere: the entry
    whose id is the latest of its use case, as a nested subquery.
    """
    entries = HistoryEntry.objects.filter(use_case_id__in=_ids(ids))
    if connection.vendor == "postgresql":
        rows = entries.order_by("use_case_id", "-at", "-id").distinct("use_case_id")
    else:
        latest = HistoryEntry.objects.filter(use_case_id=OuterRef("use_case_id")).order_by("-at", "-id")
        rows = entries.filter(id=Subquery(latest.values("id")[:1]))
    return {
        use_case_id: (at, label)
        for use_case_id, at, label in rows.values_list("use_case_id", "at", "actor_label")
    }


_CONTACT_FIELDS = ("id", "username", "first_name", "last_name", "email", "phone", "is_active")


def _contact_from(values) -> Contact | None:
    """A ``Contact`` from ``_CONTACT_FIELDS`` values (``None`` when the id is)."""
    pk, username, first, last, email, phone, active = values
    if pk is None:
        return None
    name = f"{first} {last}".strip() or username
    return Contact(id=pk, username=username, name=name, email=email, phone=phone, is_active=active)


def _use_case_url_prefix() -> str:
    # One reverse() instead of one per row (2,500 rows: 0.14 s of reverse() calls).
    url = reverse("registry:use_case_detail", args=[1])
    assert url.endswith("/1/"), url
    return url[: -len("1/")]


@dataclass
class _Access:
    """What ``can_view_credential_details`` reads of a use case (no model instance needed)."""

    team_id: int
    owner_id: int | None
    backup_owner_id: int | None


def use_cases_described(
    user, ids: Iterable[int], *, how: Mapping[int, list[str]], reached: Mapping[int, _Reached]
) -> list[AffectedUseCase]:
    """Load everything the answer shows about the use cases ``ids``, in 7 queries.

    Rows are read as values, not model instances (at 2,500 use cases, building the
    instances and their users took two thirds of the time); a person, a data source or a
    credential met on many rows is one shared object.

    Args:
        user: the asker (credential details are filled only where they may see them).
        ids: use case ids the asker may see.
        how: id -> reasons, for the direct ones.
        reached: id -> where the walk reached it, for the downstream ones.

    Returns:
        ``AffectedUseCase`` rows: direct ones by name, then downstream by depth and name.
    """
    ids = list(ids)
    if not ids:
        return []
    person = [f"owner__{name}" for name in _CONTACT_FIELDS] + [
        f"backup_owner__{name}" for name in _CONTACT_FIELDS
    ]
    rows = list(
        UseCase.objects.filter(id__in=_ids(ids))
        .order_by()  # sorted below, by depth then name
        .values_list(
            "id",
            "name",
            "team_id",
            "team__name",
            "team__slug",
            "team__parent_id",
            "contact_email",
            "lifecycle_stage",
            "review_status",
            "risk_tier",
            "is_draft",
            "suspended_at",
            "updated_at",
            *person,
        )
    )
    contacts: dict[int, Contact] = {}

    def contact(values) -> Contact | None:
        if values[0] is None:
            return None
        if values[0] not in contacts:
            contacts[values[0]] = _contact_from(values)
        return contacts[values[0]]

    names = {row[0]: row[1] for row in rows}
    builders: dict[int, list[Contact]] = defaultdict(list)
    for values in (
        UseCase.builders.through.objects.filter(usecase_id__in=_ids(ids))
        .order_by("user__first_name", "user__last_name", "user__username")
        .values_list("usecase_id", *[f"user__{name}" for name in _CONTACT_FIELDS])
    ):
        builders[values[0]].append(contact(values[1:]))
    team_ids = {row[2] for row in rows} | {row[5] for row in rows if row[5]}
    leads: dict[int, list[Contact]] = defaultdict(list)
    for values in (
        Membership.objects.filter(team_id__in=team_ids, role=MembershipRole.LEAD)
        .order_by("user__first_name", "user__last_name", "user__username")
        .values_list("team_id", *[f"user__{name}" for name in _CONTACT_FIELDS])
    ):
        leads[values[0]].append(contact(values[1:]))
    credential_uses: dict[int, list[tuple]] = defaultdict(list)
    credentials: dict[int, Credential] = {}
    for use_case_id, purpose, credential in _credential_uses(ids):
        credentials.setdefault(credential.pk, credential)
        credential_uses[use_case_id].append((purpose, credentials[credential.pk]))
    sources: dict[tuple, DataSourceInfo] = {}
    accesses: dict[int, list[DataSourceInfo]] = defaultdict(list)
    for use_case_id, access, *source in (
        DataAccess.objects.filter(use_case_id__in=_ids(ids))
        .order_by("data_source__name", "data_source_id")
        .values_list(
            "use_case_id",
            "access",
            "data_source_id",
            "data_source__name",
            "data_source__classification",
            "data_source__has_personal_data",
            "data_source__has_customer_data",
        )
    ):
        key = (source[0], access)
        if key not in sources:
            sources[key] = DataSourceInfo(
                id=source[0],
                name=source[1],
                classification=source[2],
                classification_label=_CLASSIFICATION_LABELS.get(source[2], source[2]),
                has_personal_data=source[3],
                has_customer_data=source[4],
                access=access,
                access_label=_ACCESS_VERBS.get(access, access),
            )
        accesses[use_case_id].append(sources[key])
    vendors: dict[int, list[str]] = defaultdict(list)
    for use_case_id, vendor_name, model_name in (
        VendorUse.objects.filter(use_case_id__in=_ids(ids))
        .order_by("vendor__name", "model__name")
        .values_list("use_case_id", "vendor__name", "model__name")
    ):
        label = f"{vendor_name} {model_name}" if model_name else vendor_name
        if label not in vendors[use_case_id]:
            vendors[use_case_id].append(label)
    entries = _latest_changes(ids)

    prefix = _use_case_url_prefix()
    steps: dict[int, PathStep] = {}
    reads_everything = standing_of(user).reads_everything
    infos: dict[tuple, CredentialInfo] = {}
    answer = []
    n = len(_CONTACT_FIELDS)
    for row in rows:
        (pk, name, team_id, team_name, team_slug, parent_id, mailbox, stage, review, tier, draft) = row[:11]
        suspended_at, updated_at = row[11:13]
        owner, backup = contact(row[13 : 13 + n]), contact(row[13 + n : 13 + 2 * n])
        details = reads_everything or can_view_credential_details(
            user, _Access(team_id, row[13], row[13 + n])
        )
        step = reached.get(pk)
        if step:
            parent = names.get(step.parent, f"#{step.parent}")
            row_how = [f"downstream of {parent}" + (f" ({step.via})" if step.via else "")]
        else:
            row_how = list(how.get(pk, []))
        row_credentials = []
        for purpose, credential in credential_uses.get(pk, []):
            key = (credential.pk, purpose, details)
            if key not in infos:
                infos[key] = CredentialInfo.of(credential, details=details, purpose=purpose)
            row_credentials.append(infos[key])
        at, by = entries.get(pk, (updated_at, ""))
        answer.append(
            AffectedUseCase(
                id=pk,
                name=name,
                url=f"{prefix}{pk}/",
                team=team_name,
                team_slug=team_slug,
                team_leads=leads.get(team_id) or leads.get(parent_id) or [],
                owner=owner,
                backup_owner=backup,
                builders=builders.get(pk, []),
                contact_email=mailbox,
                stage=stage,
                stage_label=_STAGE_LABELS.get(stage, "not reported"),
                review_status=review,
                review_label=_REVIEW_LABELS.get(review, review),
                risk_tier=tier,
                is_draft=draft,
                suspended_at=suspended_at,
                how=row_how,
                depth=step.depth if step else 0,
                path=_path(pk, reached, names, steps),
                via=step.via if step else "",
                credentials=row_credentials,
                credential_details=details,
                data_sources=accesses.get(pk, []),
                vendors=vendors.get(pk, []),
                last_changed_at=at,
                last_changed_by=by,
            )
        )
    answer.sort(key=lambda uc: (uc.depth, uc.name.lower(), uc.id))
    return answer


def _credential_uses(ids: list[int]):
    """``(use case id, purpose, credential)`` for every credential use of ``ids``; each
    credential loaded once (with its issuer and holder), whatever the number of uses."""
    uses = list(
        CredentialUse.objects.filter(use_case_id__in=_ids(ids))
        .order_by("credential__name", "credential_id")
        .values_list("use_case_id", "purpose", "credential_id")
    )
    credentials = Credential.objects.select_related("issuer", "owner").in_bulk({use[2] for use in uses})
    return [
        (use_case_id, purpose, credentials[credential_id]) for use_case_id, purpose, credential_id in uses
    ]


def _reached_data_sources(use_cases: list[AffectedUseCase]) -> list[ReachedDataSource]:
    """Data sources the downstream use cases reach, most sensitive first."""
    reached: dict[int, ReachedDataSource] = {}
    for uc in use_cases:
        if uc.depth == 0:
            continue
        for source in uc.data_sources:
            entry = reached.get(source.id)
            if entry is None:
                entry = reached[source.id] = ReachedDataSource(
                    source=DataSourceInfo(
                        id=source.id,
                        name=source.name,
                        classification=source.classification,
                        classification_label=source.classification_label,
                        has_personal_data=source.has_personal_data,
                        has_customer_data=source.has_customer_data,
                    ),
                    use_cases=[],
                )
            if not entry.use_cases or entry.use_cases[-1] != uc.name:
                entry.use_cases.append(uc.name)
    return sorted(
        reached.values(),
        key=lambda r: (-_CLASSIFICATION_RANK.get(r.source.classification, 0), r.source.name.lower()),
    )


def who_built_what(*, user, query: WhoBuiltWhatQuery) -> WhoBuiltWhatAnswer:
    """Answer "who built what, and what touches X" for ``query``, as ``user`` may see it.

    Args:
        user: the asker. Use cases they may not see are left out (and not walked through);
            credential storage details are filled only where ``can_view_credential_details``.
            The pages and the API call this for responders, reviewers and admins only.
        query: the subject and the blast radius's depth.

    Returns:
        A ``WhoBuiltWhatAnswer`` (see its fields). A bounded number of queries, independent
        of how many use cases are affected (module docstring).

    Raises:
        SubjectNotFound: the subject does not exist, or (a credential, a use case) ``user``
            may not see it.
        WhoBuiltWhatQueryError: an unknown kind or a depth out of range.
    """
    if query.kind not in SUBJECT_KINDS:
        raise WhoBuiltWhatQueryError({"subject": [f"Unknown subject kind “{query.kind}”."]})
    if not 0 <= query.depth <= MAX_DEPTH:
        raise WhoBuiltWhatQueryError({"depth": [f"A whole number from 0 to {MAX_DEPTH}."]})
    condition = _visible_ids_condition(user)
    direct = _Direct()
    held: list[CredentialInfo] = []
    hidden = 0
    truncated = False
    if query.kind == "person":
        subject, held, hidden = _subject_person(user, int(query.value), direct, condition)
    elif query.kind == "q":
        text = str(query.value).strip()
        if not text:
            raise WhoBuiltWhatQueryError({"q": ["Type something to look for."]})
        subject, truncated = _subject_text(user, text, direct, condition)
    else:
        subject = _SUBJECTS[query.kind](user, int(query.value), direct, condition)
    reached, more = connections_walk(direct.how.keys(), depth=query.depth, condition=condition)
    use_cases = use_cases_described(
        user, [*direct.how.keys(), *reached.keys()], how=direct.how, reached=reached
    )
    return WhoBuiltWhatAnswer(
        query=query,
        subject=subject,
        generated_at=timezone.now(),
        use_cases=use_cases,
        reached_data_sources=_reached_data_sources(use_cases),
        credentials_held=held,
        credentials_held_hidden=hidden,
        more_beyond_depth=more,
        truncated=truncated,
    )


# --- the search box ------------------------------------------------------------------------------


@dataclass
class Suggestion:
    """One object the search box offers: its kind, id, label and a hint (classification, ...)."""

    kind: str
    id: int
    label: str
    hint: str = ""

    @property
    def params(self) -> str:
        return f"{self.kind}={self.id}"


#: Suggestions per kind in the search box.
SUGGESTIONS_PER_KIND = 6


def who_built_what_suggestions(*, user, text: str) -> list[tuple[str, list[Suggestion]]]:
    """What the search box offers for ``text``, grouped by kind, each group by name.

    Credentials only among those whose details ``user`` may see, use cases only among those
    they may see; at most ``SUGGESTIONS_PER_KIND`` of each. Names are matched anywhere
    (case-insensitive): credentials, data sources, vendors, models and teams are small
    tables; use cases use the full-text search (and a name prefix match).

    Returns:
        ``[(kind label, [Suggestion])]`` for the kinds with matches, in a fixed order. Seven
        queries at most; none for text shorter than 2 characters.
    """
    text = (text or "").strip()[:100]
    if len(text) < 2:
        return []
    n = SUGGESTIONS_PER_KIND
    groups: list[tuple[str, list[Suggestion]]] = []

    credentials = [
        Suggestion(
            "credential",
            pk,
            name,
            f"{_STORAGE_LABELS.get(storage, storage)}" + (f" · {issuer}" if issuer else ""),
        )
        for pk, name, storage, issuer in credentials_visible_to(user)
        .filter(name__icontains=text)
        .order_by("name", "id")
        .values_list("pk", "name", "storage", "issuer__name")[:n]
    ]
    sources = [
        Suggestion("data_source", pk, name, _CLASSIFICATION_LABELS.get(classification, classification))
        for pk, name, classification in DataSource.objects.filter(
            Q(name__icontains=text) | Q(system__icontains=text)
        )
        .order_by("name", "id")
        .values_list("pk", "name", "classification")[:n]
    ]
    vendors = [
        Suggestion("vendor", pk, name)
        for pk, name in Vendor.objects.filter(name__icontains=text)
        .order_by("name", "id")
        .values_list("pk", "name")[:n]
    ]
    vendors += [
        Suggestion("model", pk, f"{vendor} {name}", "model or product")
        for pk, name, vendor in AIModel.objects.filter(
            Q(name__icontains=text) | Q(vendor__name__icontains=text)
        )
        .order_by("vendor__name", "name", "id")
        .values_list("pk", "name", "vendor__name")[:n]
    ]
    people = [
        Suggestion(
            "person", pk, f"{first} {last}".strip() or username, f"{username}" + ("" if active else " · left")
        )
        for pk, username, first, last, active in User.objects.filter(
            Q(username__icontains=text)
            | Q(first_name__icontains=text)
            | Q(last_name__icontains=text)
            | Q(email__icontains=text)
        )
        .order_by("first_name", "last_name", "username")
        .values_list("pk", "username", "first_name", "last_name", "is_active")[:n]
    ]
    teams = [
        Suggestion("team", pk, name, parent or "")
        for pk, name, parent in Team.objects.filter(Q(name__icontains=text) | Q(abbreviation__iexact=text))
        .order_by("name", "id")
        .values_list("pk", "name", "parent__name")[:n]
    ]
    condition = _visible_ids_condition(user)
    visible = UseCase.objects.all() if condition is None else UseCase.objects.filter(condition)
    # A substring of the name: served by the trigram index on PostgreSQL (migration 0002).
    use_cases = [
        Suggestion("use_case", pk, name, team)
        for pk, name, team in visible.filter(name__icontains=text)
        .order_by("name", "id")
        .values_list("pk", "name", "team__name")[:n]
    ]
    for label, items in (
        ("Credentials", credentials),
        ("Data sources", sources),
        ("Vendors and models", vendors),
        ("People", people),
        ("Teams", teams),
        ("Use cases", use_cases),
    ):
        if items:
            groups.append((label, items))
    return groups


# --- the architecture map ----------------------------------------------------------------------


@dataclass
class ArchitectureLink:
    """A use case up- or downstream of the one shown, with the path between them."""

    id: int
    name: str
    depth: int
    via: str
    path: list[PathStep]


@dataclass
class UseCaseArchitecture:
    upstream: list[ArchitectureLink]
    downstream: list[ArchitectureLink]
    depth: int
    more_upstream: bool
    more_downstream: bool


def use_case_architecture(*, user, use_case: UseCase, depth: int = DEFAULT_DEPTH) -> UseCaseArchitecture:
    """The use cases feeding ``use_case`` and those it feeds, to ``depth`` levels each way.

    Only use cases ``user`` may see are reported or walked through. Queries: one per level
    each way, plus one for the names.

    Returns:
        A ``UseCaseArchitecture``; each list by depth then name, each link with its path
        (from ``use_case`` outwards).
    """
    depth = max(0, min(depth, MAX_DEPTH))
    condition = _visible_ids_condition(user)
    down, more_down = connections_walk([use_case.pk], depth=depth, condition=condition)
    up, more_up = connections_walk([use_case.pk], depth=depth, condition=condition, upstream=True)
    names = dict(UseCase.objects.filter(id__in=[*down, *up]).values_list("id", "name"))
    names[use_case.pk] = use_case.name

    def links(reached):
        result = [
            ArchitectureLink(pk, names.get(pk, f"#{pk}"), step.depth, step.via, _path(pk, reached, names))
            for pk, step in reached.items()
        ]
        return sorted(result, key=lambda link: (link.depth, link.name.lower(), link.id))

    return UseCaseArchitecture(links(up), links(down), depth, more_up, more_down)


# --- a team's connections picture ------------------------------------------------------------------

#: At most this many boxes in a team's picture (the list behind it names every connection).
MAP_NODE_LIMIT = 60


@dataclass
class MapNode:
    id: int
    name: str
    url: str
    own: bool  # the team's own tool, or another team's tool it connects to
    team: str
    x: int = 0
    y: int = 0


@dataclass
class MapEdge:
    source: MapNode
    target: MapNode
    what_flows: str
    classification: str
    classification_label: str
    #: The SVG path of the arrow (set once the boxes are placed).
    d: str = ""


@dataclass
class TeamConnectionsMap:
    """A team's tools and their connections, laid out left to right (sources first).

    ``nodes`` carry their box's top-left corner in SVG units (``NODE_WIDTH`` by ``NODE_HEIGHT``);
    ``width`` and ``height`` size the picture. ``unconnected`` counts the team's tools without
    any connection (drawn only when the whole picture stays small); ``omitted`` counts the
    connected tools left out beyond ``MAP_NODE_LIMIT``.
    """

    nodes: list[MapNode]
    edges: list[MapEdge]
    width: int
    height: int
    unconnected: int
    omitted: int


NODE_WIDTH, NODE_HEIGHT, COLUMN_GAP, ROW_GAP, MARGIN = 200, 44, 70, 18, 10


def team_connections_map(*, user, team: Team) -> TeamConnectionsMap:
    """The connections picture of ``team`` (and its sub-teams): every connection touching one
    of its tools the asker may see, both ends drawn, laid out in columns by how far a tool is
    from the start of the flow (a cycle is cut where it is first met).

    Returns:
        A ``TeamConnectionsMap``. Three queries.
    """
    condition = _visible_ids_condition(user)
    visible = UseCase.objects.all() if condition is None else UseCase.objects.filter(condition)
    own = visible.filter(Q(team=team) | Q(team__parent=team)).values("pk")
    edges_qs = Connection.objects.filter(Q(source__in=own) | Q(target__in=own))
    if condition is not None:
        edges_qs = edges_qs.filter(source__in=visible.values("pk"), target__in=visible.values("pk"))
    edges_qs = edges_qs.order_by("source__name", "target__name", "id").values_list(
        "source_id", "target_id", "what_flows", "classification"
    )
    edge_rows = list(edges_qs[: MAP_NODE_LIMIT * 4])
    node_ids = []
    for source_id, target_id, _, _ in edge_rows:
        for pk in (source_id, target_id):
            if pk not in node_ids:
                node_ids.append(pk)
    omitted = max(0, len(node_ids) - MAP_NODE_LIMIT)
    node_ids = node_ids[:MAP_NODE_LIMIT]
    own_total = visible.filter(Q(team=team) | Q(team__parent=team)).count()
    info = {
        pk: (name, team_id, parent_id, team_name)
        for pk, name, team_id, parent_id, team_name in UseCase.objects.filter(id__in=node_ids).values_list(
            "id", "name", "team_id", "team__parent_id", "team__name"
        )
    }
    nodes = {
        pk: MapNode(
            id=pk,
            name=info[pk][0],
            url=reverse("registry:use_case_detail", args=[pk]),
            own=info[pk][1] == team.pk or info[pk][2] == team.pk,
            team=info[pk][3],
        )
        for pk in node_ids
        if pk in info
    }
    edges = [
        MapEdge(nodes[s], nodes[t], what, cls, _CLASSIFICATION_LABELS.get(cls, cls))
        for s, t, what, cls in edge_rows
        if s in nodes and t in nodes
    ]
    unconnected = own_total - sum(1 for node in nodes.values() if node.own)
    # Columns: longest distance from a tool nothing feeds (a cycle is broken where first met).
    incoming: dict[int, list[int]] = defaultdict(list)
    for edge in edges:
        incoming[edge.target.id].append(edge.source.id)
    column: dict[int, int] = {}

    def column_of(pk: int, trail: frozenset) -> int:
        if pk in column:
            return column[pk]
        feeders = [s for s in incoming.get(pk, []) if s not in trail]
        value = 1 + max((column_of(s, trail | {pk}) for s in feeders), default=-1)
        column[pk] = value
        return value

    for pk in nodes:
        column_of(pk, frozenset())
    rows_in: dict[int, int] = defaultdict(int)
    for node in sorted(nodes.values(), key=lambda n: (column[n.id], not n.own, n.name.lower())):
        col = column[node.id]
        node.x = MARGIN + col * (NODE_WIDTH + COLUMN_GAP)
        node.y = MARGIN + rows_in[col] * (NODE_HEIGHT + ROW_GAP)
        rows_in[col] += 1
    columns = (max(column.values()) + 1) if column else 0
    tallest = max(rows_in.values(), default=0)
    # Arrows that skip a column run in a lane above the boxes (a straight line would cross the
    # boxes between, and read as two arrows); arrows going back (a cycle) in a lane below.
    step = NODE_WIDTH + COLUMN_GAP
    lane = 30 if any(e.target.x - e.source.x > step for e in edges) else 0
    for node in nodes.values():
        node.y += lane
    height = 2 * MARGIN + lane + tallest * NODE_HEIGHT + max(tallest - 1, 0) * ROW_GAP
    loop_y = height + 12
    for edge in edges:
        s_, t_ = edge.source, edge.target
        if s_.x < t_.x <= s_.x + step:  # to the next column: right side to left side
            x1, y1, x2, y2 = s_.x + NODE_WIDTH, s_.y + NODE_HEIGHT // 2, t_.x, t_.y + NODE_HEIGHT // 2
            mid = (x1 + x2) // 2
            edge.d = f"M {x1} {y1} C {mid} {y1}, {mid} {y2}, {x2} {y2}"
        elif t_.x > s_.x:  # further right: up the gap after the source, over the top, down
            x1, y1 = s_.x + NODE_WIDTH, s_.y + NODE_HEIGHT // 2
            gap, top = x1 + COLUMN_GAP // 2, MARGIN + lane // 3
            x2, y2 = t_.x + NODE_WIDTH // 2 - 12, t_.y
            edge.d = (
                f"M {x1} {y1} C {gap} {y1}, {gap} {top}, {gap + 20} {top} "
                f"L {x2 - 20} {top} C {x2} {top}, {x2} {top}, {x2} {y2}"
            )
        else:  # back or within a column: from the bottom, under the boxes, to the bottom
            x1, y1 = s_.x + NODE_WIDTH // 2 + 12, s_.y + NODE_HEIGHT
            x2, y2 = t_.x + NODE_WIDTH // 2 - 12, t_.y + NODE_HEIGHT
            edge.d = f"M {x1} {y1} C {x1} {loop_y}, {x2} {loop_y}, {x2} {y2}"
    if any(edge.target.x <= edge.source.x for edge in edges):
        height = loop_y + MARGIN + 8
    return TeamConnectionsMap(
        nodes=sorted(nodes.values(), key=lambda n: (n.x, n.y)),
        edges=edges,
        width=2 * MARGIN + columns * NODE_WIDTH + max(columns - 1, 0) * COLUMN_GAP,
        height=height,
        unconnected=unconnected,
        omitted=omitted,
    )
