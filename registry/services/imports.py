"""Importing a spreadsheet inventory of AI use cases (``import_inventory``).

The sheet is read and checked first (``registry.importers``): a bad file raises before
anything is written. Every cell then passes the secret guard (``registry.secret_guard``)
before any layout reads it: a row holding a secret-looking value is rejected, its value
redacted in the report, and the refusal counted. The rows become records or rejections;
the records are then written in one transaction with a fixed number of queries per 500
rows, whatever the file's size: existing use cases, teams, people, vendors and models are
loaded up front, and the writes are ``bulk_create``/``bulk_update``. Re-importing the same
file changes nothing.
"""

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from accounts.choices import TeamKind
from accounts.models import Team

from ..choices import (
    RISK_TIER_RANK,
    UNSAFE_CREDENTIAL_STORAGE,
    CredentialStorage,
    ReviewSource,
    ReviewState,
    ReviewStatus,
)
from ..exceptions import ImportFileError
from ..importers.layouts import layout_detect, sheet_parse
from ..importers.mapping import MAPPING_FIELDS, mapping_parse, mapping_prepare
from ..importers.readers import Table, table_read
from ..importers.records import ParsedSheet, Rejection, TeamRef, UseCaseRecord
from ..models import (
    AIModel,
    CredentialUse,
    DataAccess,
    ImportBatch,
    SecurityReview,
    UseCase,
    Vendor,
    VendorUse,
)
from ..rules.risk import DataFact, RiskFacts, risk_assess
from ..secret_guard import (
    SecretFinding,
    secret_findings,
    secret_redaction,
    secret_refusals_record,
    secret_scan,
)

#: Rows per INSERT/UPDATE and per ``IN (...)`` lookup.
BATCH_SIZE = 500


@dataclass
class ImportResult:
    """What an import did.

    Attributes:
        layout: ``"omb-2025-individual"``, ``"omb-2025-cots"``, ``"omb-2024-consolidated"``
            or ``"mapping"``.
        created, updated, unchanged: use cases (for the COTS layout one use case gathers
            the rows of one agency and product).
        rejected: rows not imported.
        rejected_rows: each rejected row as read, plus ``"reason"`` and ``"row_number"``
            (the spreadsheet row, the header being row 1). A cell that looks like a secret is
            replaced by ``"[redacted: looks like a <kind>]"``.
        duplicate_keys: source ids that appear more than once in their agency or team
            (``"DOJ:DOJ-0357"``); their rows got fallback keys.
        rejects_path: the rejected-rows CSV written, or ``None``.
        dry_run: everything ran and was rolled back.
    """

    layout: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejected_rows: list[dict] = field(default_factory=list)
    duplicate_keys: list[str] = field(default_factory=list)
    rejects_path: str | None = None
    dry_run: bool = False

    def summary(self) -> str:
        """``"created N, updated N, unchanged N, rejected N"``."""
        return (
            f"created {self.created}, updated {self.updated}, "
            f"unchanged {self.unchanged}, rejected {self.rejected}"
        )


def inventory_import(
    path, *, mapping: dict | None = None, dry_run: bool = False, actor=None, rejects_path=None
) -> ImportResult:
    """Import the use cases of a spreadsheet (CSV, ``.csv.gz`` or XLSX).

    Args:
        path: the file. OMB's 2025 individual and COTS layouts and the 2024 consolidated
            layout are recognised by their headers; any other sheet needs ``mapping``.
        mapping: a column mapping (``registry.importers.mapping``: ``{"columns": {...},
            "defaults": {...}}`` or a flat ``{column: field}``); it overrides detection.
        dry_run: run everything, then roll the database back.
        actor: the user importing (recorded on the batch, new use cases and reviews).
        rejects_path: where to write the rejected rows as CSV (their reason beside them),
            when any row is rejected. ``None``: no file.

    Returns:
        ``ImportResult``. Each row is either imported (created, updated or unchanged) or
        rejected with a reason; a bad row never stops the import. A row with a cell that
        looks like a secret is rejected ("column X looks like a <kind>; record where it is
        stored, not its value"), the cell redacted in ``rejected_rows`` and the CSV, and one
        ``SecretRefusal`` (channel "import") is counted per such cell, also in a dry run
        (the refusal happened; it is written before the import's transaction).

    Raises:
        ImportFileError: a bad file or mapping (see ``registry.exceptions``), including a
            header or a mapping default that looks like a secret; nothing is written then
            but the refusal count.
    """
    path = Path(path)
    table = table_read(path)
    table, secret_rejections = _secrets_screen(table, file_name=path.name, actor=actor)
    if mapping is not None:
        _mapping_secrets_screen(mapping, actor=actor)
        sheet = mapping_parse(table, mapping_prepare(mapping, table.headers))
    else:
        layout = layout_detect(table.headers)
        if layout is None:
            shown = ", ".join(f"'{h}'" for h in table.headers[:6])
            more = ", ..." if len(table.headers) > 6 else ""
            raise ImportFileError(
                f"{path.name}: unrecognised layout (headers {shown}{more}); "
                "give a column mapping with --mapping FILE"
            )
        sheet = sheet_parse(table, layout)
    if secret_rejections:
        sheet.rejections = sorted(sheet.rejections + secret_rejections, key=lambda r: r.row_number)
        sheet.rows_total += len(secret_rejections)
    if rejects_path is not None:
        rejects_path = Path(rejects_path).resolve()
        if not os.access(rejects_path.parent, os.W_OK):
            raise ImportFileError(
                f"cannot write the rejected rows to {rejects_path}: its directory is missing or read-only"
            )

    result = ImportResult(
        layout=sheet.layout,
        rejected=len(sheet.rejections),
        rejected_rows=[
            {"row_number": r.row_number, "reason": r.reason}
            | {k: v for k, v in r.row.items() if k not in ("row_number", "reason")}
            for r in sheet.rejections
        ],
        duplicate_keys=sheet.duplicate_keys,
        dry_run=dry_run,
    )
    with transaction.atomic():
        _write(sheet, result, actor=actor, file_name=str(path.resolve()), sha256=table.sha256)
        if result.rejected and rejects_path is not None:
            _rejects_write(rejects_path, table.headers, result.rejected_rows)
            result.rejects_path = str(rejects_path)
        if dry_run:
            transaction.set_rollback(True)
    return result


# --- the secret guard ------------------------------------------------------------------------


def _secret_reason(findings: dict[str, SecretFinding]) -> str:
    """``"column X looks like an OpenAI API key; record where it is stored, not its value"``."""
    parts = [
        f"column {column} looks like {finding.kind_with_article}" for column, finding in findings.items()
    ]
    return "; ".join(parts) + "; record where it is stored, not its value"


def _secrets_screen(table: Table, *, file_name: str, actor) -> tuple[Table, list[Rejection]]:
    """Take out the rows holding a cell that looks like a secret, before any layout reads them.

    Every cell of every row is scanned (they all end in a use case: its fields, its team,
    vendors, review, and ``source_row``, the row as read). Each distinct cell text is scanned
    once: most cells of an inventory repeat ("Yes", "Deployed", an agency's name).

    Returns:
        ``(the table without those rows, their rejections)``; a rejection's row has each
        refused cell replaced by ``"[redacted: looks like a <kind>]"``. One ``SecretRefusal``
        per refused cell has been written (before the import's transaction).

    Raises:
        ImportFileError: a header looks like a secret (it would be kept in every row).
    """
    seen: dict[str, SecretFinding | None] = {}

    def scan(value: str) -> SecretFinding | None:
        if len(value) < 6:
            return None
        if value not in seen:
            seen[value] = secret_scan(value)
        return seen[value]

    refused_headers = [(f"header {n}", f) for n, h in enumerate(table.headers, start=1) if (f := scan(h))]
    if refused_headers:
        secret_refusals_record(refused_headers, channel="import", actor=actor)
        label, finding = refused_headers[0]
        raise ImportFileError(
            f"{file_name}: {label} looks like {finding.kind_with_article}; "
            "record where it is stored, not its value"
        )
    rows, numbers, rejections, refused = [], [], [], []
    for number, row in zip(table.row_numbers, table.rows, strict=True):
        findings = {column: f for column, value in row.items() if value and (f := scan(value))}
        if not findings:
            rows.append(row)
            numbers.append(number)
            continue
        redacted = {
            column: secret_redaction(findings[column]) if column in findings else value
            for column, value in row.items()
        }
        rejections.append(Rejection(number, redacted, _secret_reason(findings)))
        refused.extend(findings.items())
    seen.clear()  # the scanned texts, refused values among them, are not kept
    if not refused:
        return table, []
    secret_refusals_record(refused, channel="import", actor=actor)
    screened = Table(
        headers=table.headers,
        rows=rows,
        row_numbers=numbers,
        sha256=table.sha256,
        file_format=table.file_format,
    )
    return screened, rejections


def _mapping_secrets_screen(mapping, *, actor) -> None:
    """Refuse a mapping holding a secret-looking value anywhere (a default would fill cells;
    the mapping's own error messages quote its names).

    Raises:
        ImportFileError: naming the default (or "the mapping") and what it looks like, never
            the value.
    """
    if not isinstance(mapping, dict):
        return
    defaults = mapping.get("defaults") if isinstance(mapping.get("columns"), dict) else None
    labelled = {}
    if isinstance(defaults, dict):
        labelled = {f"mapping default {n}": {n: v} for n, v in defaults.items() if n in MAPPING_FIELDS}
    labelled["mapping"] = mapping  # the rest: column names, unknown fields
    findings = secret_findings(labelled)
    if findings:
        label, finding = next(iter(findings.items()))  # one refusal for the one file
        secret_refusals_record({label: finding}, channel="import", actor=actor)
        raise ImportFileError(
            f"{label} looks like {finding.kind_with_article}; record where it is stored, not its value"
        )


def _chunks(items: list, size: int = BATCH_SIZE) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _rejects_write(path: Path, headers: list[str], rows: list[dict]) -> None:
    columns = ["row_number", "reason"] + [h for h in headers if h not in ("row_number", "reason")]
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


# --- the write ------------------------------------------------------------------------------


def _write(sheet: ParsedSheet, result: ImportResult, *, actor, file_name: str, sha256: str) -> None:
    records = sheet.records
    now = timezone.now()
    team_ids = _teams_resolve({r.team for r in records})
    user_ids = _users_by_email({e.casefold() for r in records for e in r.owner_emails})
    vendor_ids, model_ids = _vendors_resolve(records)
    existing = _existing(records)
    known = _known_links([uc.pk for uc in existing.values()])

    new, changed, changed_fields = [], [], set()
    vendor_uses: list[tuple[UseCase, int, int | None]] = []
    reviews: list[tuple[UseCase, str]] = []
    for rec in records:
        values = dict(rec.fields)
        values["team_id"] = team_ids[rec.team]
        if rec.manages_contact:
            owner_id = next(
                (user_ids[e.casefold()] for e in rec.owner_emails if e.casefold() in user_ids), None
            )
            if owner_id:
                values["owner_id"] = owner_id
                values["contact_email"] = rec.contact_email[:254]
            else:
                values["contact_email"] = (rec.contact_email or next(iter(rec.owner_emails), ""))[:254]
        pairs = {
            (vendor_ids[v.casefold()], model_ids[(v.casefold(), m.casefold())] if m else None)
            for v, m in rec.vendors
        }
        uc = existing.get(rec.source_key)
        if uc is None:
            uc = UseCase(source_key=rec.source_key, created_by=actor, **rec.create_only)
            for name, value in values.items():
                setattr(uc, name, value)
            _risk_apply(uc, known)
            if rec.ato_reference is not None:
                uc.review_status = ReviewStatus.APPROVED
                reviews.append((uc, rec.ato_reference))
            vendor_uses.extend((uc, v, m) for v, m in sorted(pairs, key=str))
            new.append(uc)
            continue
        fields_changed = set()
        for name, value in values.items():
            if getattr(uc, name) != value:
                setattr(uc, name, value)
                fields_changed.add(name)
        fields_changed |= _risk_apply(uc, known)
        missing = pairs - known["vendor_uses"].get(uc.pk, set())
        vendor_uses.extend((uc, v, m) for v, m in sorted(missing, key=str))
        # An imported authority to operate is recorded once; a re-import never adds another.
        if rec.ato_reference is not None and uc.pk not in known["imported_ato"]:
            reviews.append((uc, rec.ato_reference))
            if uc.review_status == ReviewStatus.NONE:
                uc.review_status = ReviewStatus.APPROVED
                fields_changed.add("review_status")
        if (
            fields_changed
            or missing
            or (rec.ato_reference is not None and uc.pk not in known["imported_ato"])
        ):
            changed.append(uc)
            changed_fields |= fields_changed
        else:
            result.unchanged += 1

    result.created, result.updated = len(new), len(changed)
    if not new and not changed:
        return
    batch = ImportBatch.objects.create(
        file_name=file_name[-500:],
        file_sha256=sha256,
        layout=sheet.layout,
        started_by=actor,
        rows_total=sheet.rows_total,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        rejected=result.rejected,
    )
    for uc in new:
        uc.import_batch = batch
    for uc in changed:
        uc.import_batch = batch
        uc.updated_at = now  # bulk_update does not apply auto_now
    UseCase.objects.bulk_create(new, batch_size=BATCH_SIZE)
    if changed:
        UseCase.objects.bulk_update(
            changed, sorted(changed_fields | {"import_batch", "updated_at"}), batch_size=BATCH_SIZE
        )
        if "risk_tier" in changed_fields:
            from .reviews import review_risk_ranks_sync

            review_risk_ranks_sync([uc.pk for uc in changed])
    VendorUse.objects.bulk_create(
        [VendorUse(use_case=uc, vendor_id=v, model_id=m) for uc, v, m in vendor_uses], batch_size=BATCH_SIZE
    )
    SecurityReview.objects.bulk_create(
        [
            SecurityReview(
                use_case=uc,
                state=ReviewState.APPROVED,
                source=ReviewSource.IMPORTED_ATO,
                authorisation_reference=reference,
                requested_by=actor,
                requested_at=now,
                decided_at=now,
                risk_rank=RISK_TIER_RANK.get(uc.risk_tier, 0),
            )
            for uc, reference in reviews
        ],
        batch_size=BATCH_SIZE,
    )
    batch.finished_at = timezone.now()
    batch.save(update_fields=["finished_at"])


def _risk_apply(uc: UseCase, known: dict) -> set[str]:
    """Recompute the use case's risk tier in memory; return the risk fields that changed."""
    facts = RiskFacts(
        is_high_impact=uc.is_high_impact,
        handles_personal_data=uc.handles_personal_data,
        exposure=uc.exposure,
        autonomy=uc.autonomy,
        data=known["data"].get(uc.pk, ()),
        unsafe_credentials=known["unsafe_credentials"].get(uc.pk, ()),
    )
    assessment = risk_assess(facts)
    changed = set()
    if uc.risk_tier != assessment.tier:
        uc.risk_tier = assessment.tier
        changed.add("risk_tier")
    if uc.risk_reasons != assessment.reasons:
        uc.risk_reasons = assessment.reasons
        changed.add("risk_reasons")
    return changed


def _existing(records: list[UseCaseRecord]) -> dict[str, UseCase]:
    """The use cases already imported under the records' keys (one query per 500 keys)."""
    found = {}
    for chunk in _chunks([r.source_key for r in records]):
        for uc in UseCase.objects.filter(source_key__in=chunk).defer("search_vector"):
            found[uc.source_key] = uc
    return found


def _known_links(pks: list[int]) -> dict:
    """What existing use cases already link to: vendor uses, imported ATOs, and the data
    access and credentials their risk tier depends on (four queries per 500 use cases)."""
    known = {"vendor_uses": {}, "imported_ato": set(), "data": {}, "unsafe_credentials": {}}
    for chunk in _chunks(pks):
        for uc_id, vendor_id, model_id in VendorUse.objects.filter(use_case_id__in=chunk).values_list(
            "use_case_id", "vendor_id", "model_id"
        ):
            known["vendor_uses"].setdefault(uc_id, set()).add((vendor_id, model_id))
        known["imported_ato"].update(
            SecurityReview.objects.filter(
                use_case_id__in=chunk, source=ReviewSource.IMPORTED_ATO
            ).values_list("use_case_id", flat=True)
        )
        data: dict[int, list[DataFact]] = {}
        for access in DataAccess.objects.filter(use_case_id__in=chunk).select_related("data_source"):
            data.setdefault(access.use_case_id, []).append(
                DataFact(
                    source_name=access.data_source.name,
                    classification=access.data_source.classification,
                    personal=access.data_source.has_personal_data,
                    customer=access.data_source.has_customer_data,
                    writes=access.writes,
                )
            )
        for uc_id, facts in data.items():
            known["data"][uc_id] = tuple(sorted(facts, key=lambda d: d.source_name))
        unsafe: dict[int, list] = {}
        for use in (
            CredentialUse.objects.filter(
                use_case_id__in=chunk, credential__storage__in=UNSAFE_CREDENTIAL_STORAGE
            )
            .select_related("credential")
            .order_by("credential__name")
        ):
            unsafe.setdefault(use.use_case_id, []).append(
                (use.credential.name, CredentialStorage(use.credential.storage).label)
            )
        known["unsafe_credentials"].update({k: tuple(v) for k, v in unsafe.items()})
    return known


def _users_by_email(emails: set[str]) -> dict[str, int]:
    """Lower-cased email -> user id (active people first, then the oldest account)."""
    found: dict[str, int] = {}
    User = get_user_model()
    for chunk in _chunks(sorted(emails)):
        rows = (
            User.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=chunk)
            .order_by("-is_active", "pk")
            .values_list("email_lower", "pk")
        )
        for email, pk in rows:
            found.setdefault(email, pk)
    return found


def _unique_slug(base: str, taken: set[str], *, fallback: str, max_length: int = 200) -> str:
    base = base[:max_length].strip("-") or fallback
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    taken.add(slug)
    return slug


def _teams_resolve(refs: set[TeamRef]) -> dict[TeamRef, int]:
    """TeamRef -> team id; missing organisation units and teams are created (3 queries).

    An organisation unit is found by its abbreviation, then by name, among top-level teams;
    a team inside it by name. New slugs are the abbreviation (``doj``) or the name, and
    ``<organisation slug>-<team name>`` for teams inside one; repeats get ``-2``, ``-3``.
    Names longer than a team name may be are cut at 200 characters.
    """
    teams = list(Team.objects.only("id", "name", "slug", "parent_id", "abbreviation", "kind"))
    slugs = {t.slug for t in teams}
    top_by_abbreviation = {
        t.abbreviation.casefold(): t
        for t in teams
        if t.parent_id is None and t.abbreviation and t.kind == TeamKind.ORGANISATION
    }
    top_by_name = {t.name.casefold(): t for t in teams if t.parent_id is None}
    inside = {(t.parent_id, t.name.casefold()): t for t in teams if t.parent_id is not None}
    nested_by_name: dict[str, list[Team]] = {}
    for t in teams:
        if t.parent_id is not None:
            nested_by_name.setdefault(t.name.casefold(), []).append(t)

    def cut(name):
        return name[:200].strip()

    orgs: dict[tuple[str, str], Team] = {}
    created_orgs = []
    for abbreviation, name in sorted({(r.org_abbreviation, cut(r.org_name)) for r in refs if r.org_name}):
        team = (abbreviation and top_by_abbreviation.get(abbreviation.casefold())) or top_by_name.get(
            name.casefold()
        )
        if team is None:
            team = Team(
                name=name,
                slug=_unique_slug(slugify(abbreviation) or slugify(name), slugs, fallback="team"),
                kind=TeamKind.ORGANISATION,
                abbreviation=abbreviation[:50],
            )
            created_orgs.append(team)
            top_by_name[name.casefold()] = team
            if abbreviation:
                top_by_abbreviation[abbreviation.casefold()] = team
        orgs[(abbreviation, name)] = team
    Team.objects.bulk_create(created_orgs)

    resolved: dict[TeamRef, Team] = {}
    created = []
    for ref in sorted(refs, key=lambda r: (r.org_abbreviation, r.org_name, r.child_name)):
        child = cut(ref.child_name)
        if ref.org_name:
            org = orgs[(ref.org_abbreviation, cut(ref.org_name))]
            if not child:
                resolved[ref] = org
                continue
            team = inside.get((org.pk, child.casefold()))
            if team is None:
                team = Team(
                    name=child,
                    parent=org,
                    slug=_unique_slug(f"{org.slug}-{slugify(child)}", slugs, fallback=f"{org.slug}-team"),
                    kind=TeamKind.DOMAIN,
                )
                created.append(team)
                inside[(org.pk, child.casefold())] = team
        else:
            nested = nested_by_name.get(child.casefold(), [])
            team = top_by_name.get(child.casefold()) or (nested[0] if len(nested) == 1 else None)
            if team is None:
                team = Team(
                    name=child,
                    slug=_unique_slug(slugify(child), slugs, fallback="team"),
                    kind=TeamKind.DOMAIN,
                )
                created.append(team)
                top_by_name[child.casefold()] = team
        resolved[ref] = team
    Team.objects.bulk_create(created)
    return {ref: team.pk for ref, team in resolved.items()}


def _vendors_resolve(records: list[UseCaseRecord]) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Vendor and model ids by lower-cased names; missing ones are created (4 queries).

    New vendor slugs are ``slugify(name)``, repeats get ``-2``, ``-3`` (in name order).
    """
    names = {}
    models = {}
    for rec in records:
        for vendor, model in rec.vendors:
            names.setdefault(vendor.casefold(), vendor)
            if model:
                models.setdefault((vendor.casefold(), model.casefold()), model)
    if not names:
        return {}, {}
    vendors = {v.name.casefold(): v for v in Vendor.objects.only("id", "name", "slug")}
    slugs = {v.slug for v in vendors.values()}
    created = []
    for key, name in sorted(names.items()):
        if key not in vendors:
            vendor = Vendor(name=name[:200], slug=_unique_slug(slugify(name), slugs, fallback="vendor"))
            vendors[key] = vendor
            created.append(vendor)
    Vendor.objects.bulk_create(created)
    vendor_ids = {key: vendors[key].pk for key in names}

    model_ids = {}
    if models:
        wanted = sorted({vendor_ids[v] for v, _ in models})
        existing = {
            (vendor_id, name.casefold()): pk
            for pk, vendor_id, name in AIModel.objects.filter(vendor_id__in=wanted).values_list(
                "pk", "vendor_id", "name"
            )
        }
        new_models = {}
        for (vendor_key, model_key), name in sorted(models.items()):
            ident = (vendor_ids[vendor_key], model_key)
            if ident not in existing and ident not in new_models:
                new_models[ident] = AIModel(vendor_id=ident[0], name=name[:200])
        AIModel.objects.bulk_create(list(new_models.values()))
        existing.update({ident: m.pk for ident, m in new_models.items()})
        model_ids = {(v, m): existing[(vendor_ids[v], m)] for v, m in models}
    return vendor_ids, model_ids
