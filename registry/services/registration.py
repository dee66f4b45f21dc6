"""Registering and editing use cases, and submitting them for security review.

One service serves every caller (the registration page, the API, tests): it checks the secret
guard first (before any transaction, so a refusal is counted even when nothing is written),
then permission, then validates, writes the use case and what it touches in one transaction,
recomputes the risk tier and records history.

Inputs are plain dataclasses so that forms and serializers map their own shapes onto one
contract.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify

from accounts.permissions import can_adopt_into_team, can_change_use_case, can_create_use_case

from ..choices import (
    AccessMode,
    CredentialKind,
    CredentialStorage,
    DataClassification,
)
from ..models import (
    AIModel,
    Connection,
    Credential,
    CredentialUse,
    DataAccess,
    DataSource,
    FoundationDocument,
    FoundationDocumentUse,
    HistoryEntry,
    SecurityReview,
    UseCase,
    Vendor,
    VendorUse,
)
from ..secret_guard import secret_guard
from .history import diff, history_record, snapshot
from .reviews import material_facts, review_reopen_if_needed, use_case_submit_or_resubmit
from .risk import use_case_refresh_risk

#: The use case's own fields a registration may set (computed ones are never among them).
EDITABLE_FIELDS = [
    "name",
    "purpose",
    "description",
    "outputs",
    "kind",
    "technique",
    "team",
    "owner",
    "backup_owner",
    "lifecycle_stage",
    "platform",
    "autonomy",
    "exposure",
    "human_in_the_loop",
    "documentation_url",
    "code_url",
    "handles_personal_data",
    "is_high_impact",
    "high_impact_justification",
    "users_count",
    "hours_saved_per_week",
    "monthly_cost",
]


#: What a registration must say (what a marketer knows): name, what it does, kind, team and
#: where it runs; plus at least one vendor or model (``links.vendors``).
REQUIRED_FIELDS = ("name", "purpose", "kind", "team", "platform")
VENDORS_REQUIRED = "Name at least one vendor or model it calls (your own if it runs on none)."


@dataclass
class VendorChoice:
    """A vendor the use case calls: an existing one, or a new one by name; optionally a model."""

    vendor: Vendor | None = None
    new_vendor_name: str = ""
    model_name: str = ""


@dataclass
class NewDataSource:
    name: str
    classification: str = DataClassification.INTERNAL
    has_personal_data: bool = False
    has_customer_data: bool = False
    system: str = ""


@dataclass
class DataAccessInput:
    """Access to an existing data source, or to a new one created on the way."""

    data_source: DataSource | None = None
    new_source: NewDataSource | None = None
    access: str = AccessMode.READ
    purpose: str = ""


@dataclass
class NewCredential:
    """A credential reference to create: where it lives and who holds it, never its value."""

    name: str
    kind: str = CredentialKind.API_KEY
    issuer: Vendor | None = None
    storage: str = CredentialStorage.UNKNOWN
    vault_reference: str = ""
    owner: object | None = None
    scope: str = ""
    last_rotated_on: dt.date | None = None
    expires_on: dt.date | None = None


@dataclass
class CredentialInput:
    credential: Credential | None = None
    new_credential: NewCredential | None = None
    purpose: str = ""


@dataclass
class ConnectionInput:
    other: UseCase
    what_flows: str = ""
    classification: str = DataClassification.INTERNAL


@dataclass
class RegistrationLinks:
    """What the use case touches. On update, each list given replaces the current set;
    ``None`` leaves that set as it is."""

    vendors: list[VendorChoice] | None = None
    data_accesses: list[DataAccessInput] | None = None
    credentials: list[CredentialInput] | None = None
    feeds: list[ConnectionInput] | None = None
    fed_by: list[ConnectionInput] | None = None
    foundation_documents: list[tuple[FoundationDocument, str]] | None = None
    builders: list | None = None


@dataclass
class RegistrationResult:
    use_case: UseCase
    created: bool
    changed_fields: list[str] = field(default_factory=list)


def _guarded_texts(fields: dict, links: RegistrationLinks) -> dict[str, object]:
    """Every free text a registration carries, keyed by the field a person would fix."""
    texts: dict[str, object] = {k: v for k, v in fields.items() if isinstance(v, str)}
    for i, vendor in enumerate(links.vendors or []):
        texts[f"vendors-{i}-new_vendor_name"] = vendor.new_vendor_name
        texts[f"vendors-{i}-model_name"] = vendor.model_name
    for i, access in enumerate(links.data_accesses or []):
        texts[f"data_accesses-{i}-purpose"] = access.purpose
        if access.new_source:
            texts[f"data_accesses-{i}-new_source_name"] = access.new_source.name
            texts[f"data_accesses-{i}-new_source_system"] = access.new_source.system
    for i, cred in enumerate(links.credentials or []):
        texts[f"credentials-{i}-purpose"] = cred.purpose
        if cred.new_credential:
            new = cred.new_credential
            texts[f"credentials-{i}-name"] = new.name
            texts[f"credentials-{i}-vault_reference"] = new.vault_reference
            texts[f"credentials-{i}-scope"] = new.scope
    for name in ("feeds", "fed_by"):
        for i, conn in enumerate(getattr(links, name) or []):
            texts[f"{name}-{i}-what_flows"] = conn.what_flows
    return {k: v for k, v in texts.items() if v}


def _validate(fields: dict, links: RegistrationLinks, *, partial: bool) -> None:
    errors: dict[str, list[str]] = {}

    def add(name, message):
        errors.setdefault(name, []).append(message)

    for required in REQUIRED_FIELDS:
        if (not partial or required in fields) and not fields.get(required):
            add(required, "This field is required.")
    if (not partial or links.vendors is not None) and not links.vendors:
        add("vendors", VENDORS_REQUIRED)
    owner, backup = fields.get("owner"), fields.get("backup_owner")
    if backup is not None and owner is not None and backup.pk == owner.pk:
        add("backup_owner", "The backup owner must be someone other than the owner.")
    for person_field in ("owner", "backup_owner"):
        person = fields.get(person_field)
        if person is not None and not person.is_active:
            add(person_field, "This person has left: choose an active person.")
    for i, cred in enumerate(links.credentials or []):
        new = cred.new_credential
        if cred.credential is None and new is None:
            add(f"credentials-{i}", "Pick a credential or describe a new one.")
        if new and new.last_rotated_on and new.expires_on and new.expires_on < new.last_rotated_on:
            add(f"credentials-{i}-expires_on", "A credential cannot expire before it was last rotated.")
        if new and not new.name.strip():
            add(f"credentials-{i}-name", "Name the credential (e.g. 'HubSpot private app key, marketing').")
    for i, access in enumerate(links.data_accesses or []):
        if access.data_source is None and (access.new_source is None or not access.new_source.name.strip()):
            add(f"data_accesses-{i}", "Pick a data source or name a new one.")
    if errors:
        raise ValidationError(errors)


def _vendor_for(choice: VendorChoice) -> Vendor:
    if choice.vendor is not None:
        return choice.vendor
    name = choice.new_vendor_name.strip()
    existing = Vendor.objects.filter(name__iexact=name).first()
    if existing:
        return existing
    base = slugify(name)[:200] or "vendor"
    slug, n = base, 2
    while Vendor.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return Vendor.objects.create(name=name, slug=slug)


def _model_for(vendor: Vendor, name: str) -> AIModel | None:
    name = name.strip()
    if not name:
        return None
    return AIModel.objects.filter(vendor=vendor, name__iexact=name).first() or AIModel.objects.create(
        vendor=vendor, name=name
    )


def _data_source_for(access: DataAccessInput, actor, team) -> DataSource:
    if access.data_source is not None:
        return access.data_source
    new = access.new_source
    existing = DataSource.objects.filter(name__iexact=new.name.strip()).first()
    if existing:
        return existing
    source = DataSource.objects.create(
        name=new.name.strip(),
        classification=new.classification,
        has_personal_data=new.has_personal_data,
        has_customer_data=new.has_customer_data,
        system=new.system,
        owner_team=team,
    )
    history_record(actor=actor, action=HistoryEntry.Action.CREATE, obj=source, summary="data source created")
    return source


def _credential_for(cred: CredentialInput, actor, team) -> Credential:
    if cred.credential is not None:
        return cred.credential
    new = cred.new_credential
    credential = Credential.objects.create(
        name=new.name.strip(),
        kind=new.kind,
        issuer=new.issuer,
        storage=new.storage,
        vault_reference=new.vault_reference,
        owner=new.owner or actor,
        team=team,
        scope=new.scope,
        last_rotated_on=new.last_rotated_on,
        expires_on=new.expires_on,
    )
    history_record(
        actor=actor,
        action=HistoryEntry.Action.CREATE,
        obj=credential,
        summary=f"credential reference created (stored in: {credential.get_storage_display().lower()})",
    )
    return credential


def _sync_links(use_case: UseCase, links: RegistrationLinks, actor) -> list[str]:
    """Replace each given link set; returns a line per change for the history."""
    changes: list[str] = []
    team = use_case.team
    if links.vendors is not None:
        wanted = set()
        for choice in links.vendors:
            vendor = _vendor_for(choice)
            wanted.add((vendor.pk, getattr(_model_for(vendor, choice.model_name), "pk", None)))
        current = set(use_case.vendor_uses.values_list("vendor_id", "model_id"))
        for vendor_id, model_id in wanted - current:
            VendorUse.objects.create(use_case=use_case, vendor_id=vendor_id, model_id=model_id)
            changes.append(f"vendor added: {Vendor.objects.get(pk=vendor_id).name}")
        for vendor_id, model_id in current - wanted:
            use_case.vendor_uses.filter(vendor_id=vendor_id, model_id=model_id).delete()
            changes.append(f"vendor removed: {Vendor.objects.get(pk=vendor_id).name}")
    if links.data_accesses is not None:
        wanted = {}
        for access in links.data_accesses:
            source = _data_source_for(access, actor, team)
            wanted[source.pk] = (source, access.access, access.purpose)
        current = {a.data_source_id: a for a in use_case.data_accesses.select_related("data_source")}
        for source_id, (source, mode, purpose) in wanted.items():
            existing = current.get(source_id)
            if existing is None:
                DataAccess.objects.create(use_case=use_case, data_source=source, access=mode, purpose=purpose)
                changes.append(f"data access added: {source.name} ({AccessMode(mode).label.lower()})")
            elif (existing.access, existing.purpose) != (mode, purpose):
                existing.access, existing.purpose = mode, purpose
                existing.save(update_fields=["access", "purpose"])
                changes.append(f"data access changed: {source.name} ({AccessMode(mode).label.lower()})")
        for source_id, existing in current.items():
            if source_id not in wanted:
                existing.delete()
                changes.append(f"data access removed: {existing.data_source.name}")
    if links.credentials is not None:
        wanted = {}
        for cred in links.credentials:
            credential = _credential_for(cred, actor, team)
            wanted[credential.pk] = (credential, cred.purpose)
        current = {u.credential_id: u for u in use_case.credential_uses.select_related("credential")}
        for cred_id, (credential, purpose) in wanted.items():
            existing = current.get(cred_id)
            if existing is None:
                CredentialUse.objects.create(use_case=use_case, credential=credential, purpose=purpose)
                changes.append(f"credential added: {credential.name}")
            elif existing.purpose != purpose:
                existing.purpose = purpose
                existing.save(update_fields=["purpose"])
        for cred_id, existing in current.items():
            if cred_id not in wanted:
                existing.delete()
                changes.append(f"credential removed: {existing.credential.name}")
    for attr, mine, theirs in (("feeds", "source", "target"), ("fed_by", "target", "source")):
        wanted_links = getattr(links, attr)
        if wanted_links is None:
            continue
        wanted = {c.other.pk: c for c in wanted_links if c.other.pk != use_case.pk}
        current = {getattr(c, f"{theirs}_id"): c for c in Connection.objects.filter(**{mine: use_case})}
        for other_id, conn in wanted.items():
            existing = current.get(other_id)
            if existing is None:
                Connection.objects.create(
                    **{mine: use_case, theirs: conn.other},
                    what_flows=conn.what_flows,
                    classification=conn.classification,
                )
                changes.append(f"{'feeds' if attr == 'feeds' else 'fed by'}: {conn.other.name}")
            elif (existing.what_flows, existing.classification) != (conn.what_flows, conn.classification):
                existing.what_flows, existing.classification = conn.what_flows, conn.classification
                existing.save(update_fields=["what_flows", "classification"])
        for other_id, existing in current.items():
            if other_id not in wanted:
                existing.delete()
                changes.append(f"connection removed ({attr})")
    if links.foundation_documents is not None:
        wanted = {
            doc.pk: (doc, version or doc.current_version) for doc, version in links.foundation_documents
        }
        current = {u.document_id: u for u in use_case.foundation_uses.all()}
        for doc_id, (doc, version) in wanted.items():
            existing = current.get(doc_id)
            if existing is None:
                FoundationDocumentUse.objects.create(use_case=use_case, document=doc, version=version)
                changes.append(f"uses {doc.name} {version}")
            elif existing.version != version:
                existing.version = version
                existing.save(update_fields=["version"])
                changes.append(f"uses {doc.name} {version}")
        for doc_id, existing in current.items():
            if doc_id not in wanted:
                existing.delete()
                changes.append("foundation document removed")
    if links.builders is not None:
        before = set(use_case.builders.values_list("pk", flat=True))
        after = {person.pk for person in links.builders}
        if before != after:
            use_case.builders.set(links.builders)
            changes.append("builders changed")
    return changes


def use_case_register(
    *,
    actor,
    fields: dict,
    links: RegistrationLinks,
    draft: bool = False,
    channel: str = "form",
    adopting: bool = False,
) -> UseCase:
    """Register a new use case (or save it as a draft).

    Args:
        actor: the person registering; becomes the owner unless ``fields["owner"]`` names one,
            and a builder.
        fields: values of ``EDITABLE_FIELDS`` (``team`` a Team, people as Users).
        links: what it touches (every list is taken as given).
        draft: save as a draft (visible to the team only) instead of registering.
        channel: the secret guard's channel ("form", "api").
        adopting: it is the adopter's own copy of a shared-library entry: any member of the
            team may register it (reuse is open to everyone; docs/permissions.md).

    Returns:
        The saved use case, with its risk tier computed.

    Raises:
        SecretValueError: a text looks like a secret value (nothing written; refusal counted).
        PermissionDenied: ``actor`` may not register for that team.
        ValidationError: field errors (``{field: [messages]}``).
    """
    secret_guard(_guarded_texts(fields, links), channel=channel, actor=actor)
    team = fields.get("team")
    if team is not None and not (
        can_create_use_case(actor, team) or (adopting and can_adopt_into_team(actor, team))
    ):
        raise PermissionDenied("You can register use cases only for teams you belong to.")
    _validate(fields, links, partial=False)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be set."] for name in sorted(unknown)})
    with transaction.atomic():
        values = {"owner": actor, **fields}
        use_case = UseCase(**values, is_draft=draft, created_by=actor)
        use_case.save()
        link_changes = _sync_links(use_case, links, actor)
        if links.builders is None:
            use_case.builders.add(actor)
        use_case_refresh_risk(use_case=use_case)
        history_record(
            actor=actor,
            action=HistoryEntry.Action.CREATE,
            obj=use_case,
            changes=diff({}, {k: v for k, v in snapshot(use_case, list(fields)).items() if v}),
            summary=("saved as a draft" if draft else "registered")
            + (f"; {'; '.join(link_changes)}" if link_changes else ""),
        )
    return use_case


def use_case_edit(
    *, actor, use_case: UseCase, fields: dict, links: RegistrationLinks | None = None, channel: str = "form"
) -> RegistrationResult:
    """Change a use case's fields and, for each link set given, what it touches.

    Raises:
        SecretValueError, PermissionDenied, ValidationError: as ``use_case_register``; moving
        it to a team requires the right to register for that team.
    """
    links = links or RegistrationLinks()
    secret_guard(_guarded_texts(fields, links), channel=channel, actor=actor)
    if not can_change_use_case(actor, use_case):
        raise PermissionDenied("You may not change this use case.")
    new_team = fields.get("team")
    if new_team is not None and new_team.pk != use_case.team_id and not can_create_use_case(actor, new_team):
        raise PermissionDenied("You can move use cases only to teams you belong to.")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be set."] for name in sorted(unknown)})
    _validate(fields, links, partial=True)
    with transaction.atomic():
        use_case = UseCase.objects.select_for_update().get(pk=use_case.pk)
        material_before = material_facts(use_case)
        before = snapshot(use_case, list(fields))
        for name, value in fields.items():
            setattr(use_case, name, value)
        changed = diff(before, snapshot(use_case, list(fields)))
        if changed:
            use_case.save()
        link_changes = _sync_links(use_case, links, actor)
        use_case_refresh_risk(use_case=use_case)
        if changed or link_changes:
            history_record(
                actor=actor,
                action=HistoryEntry.Action.UPDATE,
                obj=use_case,
                changes=changed,
                summary="; ".join(link_changes) or "changed",
            )
        # A material change or a broken condition puts an approved use case back to requested.
        review_reopen_if_needed(use_case=use_case, before=material_before, actor=actor)
    return RegistrationResult(use_case=use_case, created=False, changed_fields=list(changed))


def use_case_submit(*, actor, use_case: UseCase, note: str = "") -> SecurityReview:
    """Submit a use case for security review: registers a draft and opens a requested review,
    or resubmits one waiting on changes (``registry.services.reviews``).

    Returns:
        The open review (an existing open one is returned as it is).

    Raises:
        PermissionDenied: ``actor`` may not change the use case.
    """
    return use_case_submit_or_resubmit(use_case=use_case, actor=actor, note=note)
