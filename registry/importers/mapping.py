"""Importing any sheet with a column mapping (``import_inventory --mapping FILE``).

A mapping is JSON: ``{"columns": {"Sheet column": "field", ...}, "defaults": {"field":
value, ...}}``, or a flat ``{"Sheet column": "field", ...}``. ``defaults`` fill cells that are
blank or columns that are not mapped. The fields are ``MAPPING_FIELDS``. Values are
normalised: stages and kinds by value or label (case-insensitive, with synonyms such as
"Deployed" or "workflow"), booleans yes/no/true/false/y/n/1/0, numbers with or without
thousands separators. A bad cell rejects its row with a reason; a bad mapping rejects the
file (``ImportFileError``).
"""

import json
from dataclasses import dataclass
from pathlib import Path

from django.utils.text import slugify

from ..exceptions import ImportFileError
from .layouts import MAPPING
from .readers import Table
from .records import (
    ParsedSheet,
    Rejection,
    TeamRef,
    UseCaseRecord,
    keys_assign,
    records_fit,
    source_row_pairs,
)
from .values import (
    emails_in,
    fingerprint,
    is_placeholder,
    one_line,
    parse_bool,
    parse_decimal,
    parse_email,
    parse_int,
    parse_kind,
    parse_stage,
    parse_technique,
    parse_url,
    text,
    vendor_for_product,
    vendor_names,
)

#: The fields a column may map to, each with what it means.
MAPPING_FIELDS = {
    "name": "the use case's name (required)",
    "purpose": "what it does: the problem it solves",
    "description": "how it works, its benefits",
    "outputs": "what it produces",
    "team": "the owning team (inside parent_team when that is given)",
    "parent_team": "the organisation unit above the team",
    "external_id": "its id in your sheet (the stable key for re-imports)",
    "owner_email": "the owner's email (a person with an account) or a contact mailbox",
    "contact_email": "a contact mailbox",
    "lifecycle_stage": "idea, building, pilot, production or retired (or a synonym)",
    "kind": "custom GPT, agent, prompt template, automation, script or app, integration, "
    "ML model, commercial product feature",
    "technique": "the AI technique (generative AI, agentic AI, classical ML, NLP, ...)",
    "vendor": "the vendors it calls (several separated by ; or ,)",
    "model": "the model or product of the vendor",
    "platform": "where it runs",
    "is_high_impact": "yes/no",
    "handles_personal_data": "yes/no",
    "users_count": "a whole number",
    "hours_saved_per_week": "a number",
    "monthly_cost": "a number",
    "documentation_url": "an http(s) link",
    "code_url": "an http(s) link",
    "human_in_the_loop": "where a person checks or approves",
}

#: Fields several columns may feed (their texts are joined by blank lines).
_JOINABLE = {"purpose", "description", "outputs", "human_in_the_loop", "vendor"}
#: Max lengths of the use case's character fields.
_MAX_LENGTH = {
    "name": 500,
    "external_id": 200,
    "platform": 200,
    "model": 200,
    "team": 200,
    "parent_team": 200,
}


def mapping_load(path) -> dict:
    """Read a mapping file.

    Returns:
        The JSON object, as given (checked against a sheet by ``mapping_prepare``).

    Raises:
        ImportFileError: unreadable, not valid JSON or not a JSON object.
    """
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ImportFileError(f"mapping {path}: cannot be read ({exc.strerror or exc})") from None
    try:
        mapping = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"mapping {path.name}: not valid JSON ({exc})") from None
    if not isinstance(mapping, dict):
        raise ImportFileError(f"mapping {path.name}: must be a JSON object of column -> field")
    return mapping


@dataclass
class PreparedMapping:
    """A mapping checked against a sheet: field -> the sheet's headers, and parsed defaults."""

    columns: dict[str, list[str]]
    defaults: dict[str, str]


def mapping_prepare(mapping: dict, headers: list[str]) -> PreparedMapping:
    """Check ``mapping`` against the sheet's ``headers``.

    Raises:
        ImportFileError: a shape other than the two accepted, an unknown field, a column
            the sheet lacks, no column for ``name``, no team (column or default), several
            columns for a one-value field, or a default that is not a valid value.
    """
    if not isinstance(mapping, dict):
        raise ImportFileError("mapping: must be a JSON object of column -> field")
    if isinstance(mapping.get("columns"), dict):
        extra = set(mapping) - {"columns", "defaults"}
        if extra:
            raise ImportFileError(
                f"mapping: unknown key(s) {_quoted(extra)}; expected 'columns' and 'defaults'"
            )
        columns, defaults = mapping["columns"], mapping.get("defaults") or {}
    else:
        columns, defaults = mapping, {}
    if not isinstance(defaults, dict):
        raise ImportFileError("mapping: 'defaults' must be an object of field -> value")
    if not columns:
        raise ImportFileError("mapping: no columns are mapped")
    bad = {str(f) for f in columns.values() if not isinstance(f, str) or f not in MAPPING_FIELDS}
    bad |= {f for f in defaults if f not in MAPPING_FIELDS}
    if "name" in defaults:
        raise ImportFileError(
            "mapping: 'name' cannot have a default; map the column that names each use case"
        )
    if bad:
        raise ImportFileError(
            f"mapping: unknown field(s) {_quoted(bad)}; fields are {', '.join(MAPPING_FIELDS)}"
        )
    present = {" ".join(h.split()).casefold(): h for h in headers}
    by_field: dict[str, list[str]] = {}
    missing = []
    for column, field_name in columns.items():
        header = column if column in headers else present.get(" ".join(str(column).split()).casefold())
        if header is None:
            missing.append(column)
            continue
        by_field.setdefault(field_name, []).append(header)
    if missing:
        raise ImportFileError(f"mapping names column(s) the file lacks: {_quoted(missing)}")
    several = [f for f, cols in by_field.items() if len(cols) > 1 and f not in _JOINABLE]
    if several:
        raise ImportFileError(f"mapping: several columns map to {_quoted(several)}, which takes one value")
    if "name" not in by_field:
        raise ImportFileError("mapping: no column is mapped to 'name'")
    if not ({"team", "parent_team"} & (set(by_field) | set(defaults))):
        raise ImportFileError("mapping: no team: map a column to 'team' (or 'parent_team') or give a default")
    prepared_defaults = {}
    for field_name, value in defaults.items():
        value = "" if value is None else value
        if isinstance(value, bool):
            value = "yes" if value else "no"
        value = str(value)
        try:
            _FIELD_PARSERS.get(field_name, _plain)(value)
        except ValueError as exc:
            raise ImportFileError(f"mapping: default for {field_name}: {exc}") from None
        prepared_defaults[field_name] = value
    return PreparedMapping(columns=by_field, defaults=prepared_defaults)


def _quoted(items) -> str:
    return ", ".join(f"'{i}'" for i in sorted(items, key=str))


def _plain(value: str) -> str:
    return one_line(value)


_FIELD_PARSERS = {
    "lifecycle_stage": parse_stage,
    "kind": parse_kind,
    "technique": parse_technique,
    "is_high_impact": parse_bool,
    "handles_personal_data": parse_bool,
    "users_count": parse_int,
    "hours_saved_per_week": lambda v: parse_decimal(v, places=1, digits=10),
    "monthly_cost": lambda v: parse_decimal(v, places=2, digits=12),
    "documentation_url": parse_url,
    "code_url": parse_url,
    "contact_email": parse_email,
    "purpose": text,
    "description": text,
    "outputs": text,
    "human_in_the_loop": text,
}
#: Fields stored on the use case as parsed (the others are handled one by one).
_DIRECT = [
    "purpose",
    "description",
    "outputs",
    "lifecycle_stage",
    "kind",
    "technique",
    "platform",
    "is_high_impact",
    "handles_personal_data",
    "users_count",
    "hours_saved_per_week",
    "monthly_cost",
    "documentation_url",
    "code_url",
    "human_in_the_loop",
]


def mapping_parse(table: Table, mapping: PreparedMapping) -> ParsedSheet:
    """Turn the rows of ``table`` into records with ``mapping``; bad cells reject their row."""
    records, rejections = [], []
    managed = set(mapping.columns) | set(mapping.defaults)
    for number, row in zip(table.row_numbers, table.rows, strict=True):
        try:
            records.append(_record(number, row, mapping, managed))
        except ValueError as exc:
            rejections.append(Rejection(number, row, str(exc)))
    records, too_long = records_fit(records)
    rejections.extend(too_long)
    kept, duplicates, duplicated_ids = keys_assign(records)
    rejections.extend(duplicates)
    rejections.sort(key=lambda r: r.row_number)
    return ParsedSheet(
        layout=MAPPING,
        records=kept,
        rejections=rejections,
        duplicate_keys=duplicated_ids,
        rows_total=len(table.rows),
    )


def _raw(row: dict, mapping: PreparedMapping, field_name: str) -> str:
    """The cell(s) of a field (joined when several columns feed it), else its default."""
    values = [row.get(h, "") for h in mapping.columns.get(field_name, [])]
    values = [v.strip() for v in values if v and v.strip()]
    if values:
        return "\n\n".join(values)
    return mapping.defaults.get(field_name, "")


def _value(row, mapping, field_name):
    raw = _raw(row, mapping, field_name)
    limit = _MAX_LENGTH.get(field_name)
    if limit and len(one_line(raw)) > limit:
        raise ValueError(f"{field_name} is longer than {limit} characters")
    try:
        return _FIELD_PARSERS.get(field_name, _plain)(raw)
    except ValueError as exc:
        raise ValueError(f"{field_name}: {exc}") from None


def _record(number: int, row: dict, mapping: PreparedMapping, managed: set) -> UseCaseRecord:
    name = _value(row, mapping, "name")
    if not name:
        raise ValueError("blank name")
    team = _value(row, mapping, "team")
    parent = _value(row, mapping, "parent_team")
    if not team and not parent:
        raise ValueError("no team (the team cell is blank and no default is given)")
    fields = {"name": name, "source_row": source_row_pairs(row)}
    for field_name in _DIRECT:
        if field_name in managed:
            fields[field_name] = _value(row, mapping, field_name)
    if fields.get("kind") == "":
        del fields["kind"]  # a blank kind changes nothing; a new use case gets the default
    external_id = _value(row, mapping, "external_id") if "external_id" in managed else ""
    if is_placeholder(external_id):
        external_id = ""
    if "external_id" in managed:
        fields["external_id"] = external_id

    owner_raw = _raw(row, mapping, "owner_email")
    owner_emails = emails_in(owner_raw)
    if owner_raw and not owner_emails:
        raise ValueError(f"owner_email: '{one_line(owner_raw)[:80]}' is not an email address")
    contact = _value(row, mapping, "contact_email") if "contact_email" in managed else ""

    vendors = vendor_names(_raw(row, mapping, "vendor")) if "vendor" in managed else []
    model = _value(row, mapping, "model") if "model" in managed else ""
    pairs: list[tuple[str, str | None]] = [(v, None) for v in vendors]
    if model:
        maker = vendor_for_product(model)
        if not vendors:
            if maker is None:
                raise ValueError(
                    f"model '{model}' has no vendor: map a vendor column or give a default vendor"
                )
            pairs = [(maker, model)]
        else:
            index = next((i for i, v in enumerate(vendors) if maker and v.casefold() == maker.casefold()), 0)
            pairs[index] = (vendors[index], model)

    return UseCaseRecord(
        row_number=number,
        row=row,
        team=TeamRef(org_name=parent, child_name=team),
        fields=fields,
        scope=_scope(parent, team),
        source_id=external_id,
        identity=(name,),
        content=tuple(row.values()),
        owner_emails=owner_emails,
        manages_contact=bool({"owner_email", "contact_email"} & managed),
        contact_email=contact,
        vendors=pairs,
        create_only={} if "kind" in fields else {"kind": "script_app"},
    )


def _scope(parent: str, team: str) -> str:
    """``mapping:<parent>/<team>`` by slug (a hash for names with no Latin letters)."""

    def slug(name):
        return slugify(name) or fingerprint(name)

    parts = [slug(p) for p in (parent, team) if p]
    return "mapping:" + "/".join(parts)
