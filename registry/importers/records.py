"""What a layout makes of a sheet: use-case records to write and rows rejected with a reason,
and the stable import keys (``UseCase.source_key``) of the records."""

from dataclasses import dataclass, field

from .values import fingerprint

#: ``UseCase.source_key`` max_length.
_KEY_MAX = 300


@dataclass(frozen=True)
class TeamRef:
    """The owning team of a record, by name.

    ``org_name`` is an organisation unit (an agency, or a mapped ``parent_team``) found by
    ``org_abbreviation`` or name, created if missing. ``child_name`` is a team inside it (a
    bureau); blank means the organisation itself owns the use case. With no ``org_name``,
    ``child_name`` is a team found by name anywhere (a mapped ``team`` alone).
    """

    org_name: str = ""
    org_abbreviation: str = ""
    child_name: str = ""


@dataclass
class UseCaseRecord:
    """One use case to create or update.

    Attributes:
        row_number: the spreadsheet row it comes from (the first one, for grouped rows).
        row: that row as read (for reports).
        team: its owning team.
        fields: ``UseCase`` attribute -> value, only for the attributes this import manages
            (a mapped sheet manages only its mapped columns and defaults).
        scope: key prefix (layout and agency or team), e.g. ``omb2025:DOJ``.
        source_id: the source's identifier ("" when the source has none for this row).
        identity: the parts of the fallback key (bureau, name) when there is no usable id.
        content: more parts, to tell apart rows whose fallback keys collide (the whole row:
            only identical rows are duplicates then).
        owner_emails: addresses that may name a person (owner when a user has one).
        manages_contact: whether this import sets ``owner``/``contact_email`` at all.
        contact_email: an explicit contact mailbox ("" when none).
        vendors: ``(vendor name, model name or None)`` pairs it calls.
        ato_reference: the system name of an existing authority to operate, ``None`` if none.
        create_only: attribute -> value used only when the use case is created (a mapped
            sheet without a kind column creates "script or app" but never changes a kind).
        source_key: set by ``keys_assign``.
    """

    row_number: int
    row: dict
    team: TeamRef
    fields: dict
    scope: str
    source_id: str = ""
    identity: tuple = ()
    content: tuple = ()
    owner_emails: list[str] = field(default_factory=list)
    manages_contact: bool = True
    contact_email: str = ""
    vendors: list[tuple[str, str | None]] = field(default_factory=list)
    ato_reference: str | None = None
    create_only: dict = field(default_factory=dict)
    source_key: str = ""


@dataclass
class Rejection:
    """A row that was not imported, and why (one sentence)."""

    row_number: int
    row: dict
    reason: str


@dataclass
class ParsedSheet:
    """A sheet turned into records and rejections.

    ``duplicate_keys`` lists the source ids that appear more than once in their scope (they
    were given fallback keys), as ``"<scope id>:<source id>"``, e.g. ``"DOJ:DOJ-0357"``.
    """

    layout: str
    records: list[UseCaseRecord]
    rejections: list[Rejection]
    duplicate_keys: list[str]
    rows_total: int


def records_fit(records: list[UseCaseRecord]) -> tuple[list[UseCaseRecord], list[Rejection]]:
    """Reject the records with a text longer than its ``UseCase`` field allows.

    Returns:
        ``(records that fit, rejections "<field> is longer than N characters")``.
    """
    from ..models import UseCase

    limits = {
        f.attname: f.max_length
        for f in UseCase._meta.concrete_fields
        if getattr(f, "max_length", None) and f.get_internal_type() in ("CharField", "EmailField", "URLField")
    }
    kept, rejected = [], []
    for rec in records:
        too_long = next(
            (
                (name, limits[name])
                for name, value in rec.fields.items()
                if name in limits and isinstance(value, str) and len(value) > limits[name]
            ),
            None,
        )
        if too_long:
            rejected.append(
                Rejection(rec.row_number, rec.row, f"{too_long[0]} is longer than {too_long[1]} characters")
            )
        else:
            kept.append(rec)
    return kept, rejected


def _key(scope: str, suffix: str) -> str:
    key = f"{scope}:{suffix}"
    if len(key) > _KEY_MAX:
        key = f"{scope[: _KEY_MAX - 40]}:h:{fingerprint(scope, suffix)}"
    return key


def keys_assign(records: list[UseCaseRecord]) -> tuple[list[UseCaseRecord], list[Rejection], list[str]]:
    """Give every record its stable ``source_key``, or reject it as a duplicate.

    The key is ``<scope>:<source id>`` when the id is given and unique in its scope. Rows
    with no id, or with an id repeated in the scope, get the fallback ``<scope>:h:<hash of
    bureau and name>``; rows whose fallback keys collide get a hash of their whole row too.
    Keys depend only on the file's contents, never on row order. A row whose content key
    still repeats (an identical row) is a duplicate of the first such row.

    Returns:
        ``(records kept, rejections, duplicated ids as "<scope id>:<id>", sorted)``.
    """
    id_counts: dict[tuple[str, str], int] = {}
    for rec in records:
        if rec.source_id:
            ident = (rec.scope, rec.source_id.casefold())
            id_counts[ident] = id_counts.get(ident, 0) + 1
    duplicated = sorted(
        {
            f"{rec.scope.split(':', 1)[-1]}:{rec.source_id}"
            for rec in records
            if rec.source_id and id_counts[(rec.scope, rec.source_id.casefold())] > 1
        }
    )

    fallback: list[UseCaseRecord] = []
    for rec in records:
        if rec.source_id and id_counts[(rec.scope, rec.source_id.casefold())] == 1:
            rec.source_key = _key(rec.scope, rec.source_id)
        else:
            rec.source_key = _key(rec.scope, f"h:{fingerprint(*rec.identity)}")
            fallback.append(rec)
    fallback_counts: dict[str, int] = {}
    for rec in fallback:
        fallback_counts[rec.source_key] = fallback_counts.get(rec.source_key, 0) + 1
    for rec in fallback:
        if fallback_counts[rec.source_key] > 1:
            rec.source_key = _key(rec.scope, f"h:{fingerprint(*rec.identity, *rec.content)}")

    kept, rejected, first_row = [], [], {}
    for rec in records:
        if rec.source_key in first_row:
            rejected.append(
                Rejection(rec.row_number, rec.row, f"duplicate of row {first_row[rec.source_key]}")
            )
            continue
        first_row[rec.source_key] = rec.row_number
        kept.append(rec)
    return kept, rejected, duplicated


def source_row_pairs(row: dict) -> list[list[str]]:
    """The original row as ``[column, value]`` pairs: a list keeps the sheet's column order,
    which PostgreSQL's ``jsonb`` would not keep for an object's keys."""
    return [[str(column), value] for column, value in row.items()]
