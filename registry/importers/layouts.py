"""The spreadsheet layouts the importer recognises by their headers, and how each one's rows
become use-case records.

- ``omb-2025-individual``: OMB's 2025 Federal Agency AI Use Case Inventory, individually
  reported use cases (columns per its ``data_dictionary.md``).
- ``omb-2025-cots``: OMB's 2025 consolidated commercial-off-the-shelf AI use, one row per
  agency and standard use ("AI Use Case"), naming the products used.
- ``omb-2024-consolidated``: the 2024 consolidated inventory (``2_use_case_name``,
  ``3_agency``, ``16_dev_stage``, ... numbered after the 2024 questions).

Any other sheet needs a column mapping (``registry.importers.mapping``).
"""

from ..choices import AITechnique, LifecycleStage, Sourcing, UseCaseKind
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
    band_lower_bound,
    emails_in,
    is_placeholder,
    one_line,
    parse_date,
    parse_technique,
    parse_url,
    product_key,
    product_names,
    text,
    vendor_for_product,
    vendor_names,
)

OMB_2025_INDIVIDUAL = "omb-2025-individual"
OMB_2025_COTS = "omb-2025-cots"
OMB_2024_CONSOLIDATED = "omb-2024-consolidated"
MAPPING = "mapping"

#: Headers that identify each layout (compared case- and spacing-insensitively).
LAYOUT_HEADERS = {
    OMB_2025_INDIVIDUAL: (
        "agency",
        "agency_name",
        "id",
        "use_case_name",
        "agency_bureau",
        "development_stage",
    ),
    OMB_2025_COTS: (
        "Agency",
        "AI Use Case",
        "Agency Use (Y/N)?",
        "Name of Commercial Product or Service Used",
    ),
    OMB_2024_CONSOLIDATED: ("2_use_case_name", "3_agency", "3_abr", "4_bureau", "16_dev_stage"),
}

#: Federal agencies as the inventories spell them -> (abbreviation, name). The 2025 and 2024
#: files carry abbreviations; the COTS file names agencies only, sometimes differently.
AGENCIES_BY_NAME = {
    "department of treasury": ("TREAS", "Department of the Treasury"),
    "federal reserve board of governors": ("FRB", "Federal Reserve Board"),
    "board of governors of the federal reserve system": ("FRB", "Federal Reserve Board"),
    "national endowment of the arts": ("NEA", "National Endowment for the Arts"),
    "united states office of special counsel": ("OSC", "Office of Special Counsel"),
    "united states election assistance commission": ("EAC", "Election Assistance Commission"),
    "department of veteran affairs-oig": (
        "VA-OIG",
        "Department of Veterans Affairs Office of Inspector General",
    ),
    "committee for purchase from people who are blind or significantly disabled": (
        "ABILITYONE",
        "Committee for Purchase From People Who Are Blind or Significantly Disabled",
    ),
    "court services and offender supervision agency": (
        "CSOSA",
        "Court Services and Offender Supervision Agency",
    ),
    "export-import bank of the u.s.": ("EXIM", "Export-Import Bank of the U.S."),
    "federal labor relations authority": ("FLRA", "Federal Labor Relations Authority"),
    "morris k. udall and stewart l. udall foundation": (
        "UDALL",
        "Morris K. Udall and Stewart L. Udall Foundation",
    ),
    "national endowment for the humanities": ("NEH", "National Endowment for the Humanities"),
    "national labor relations board": ("NLRB", "National Labor Relations Board"),
    "united states international trade commission": ("USITC", "United States International Trade Commission"),
    "office of personnel management": ("OPM", "Office of Personnel Management"),
    "united states trade and development agency": ("USTDA", "United States Trade and Development Agency"),
    "commodity futures trading commission": ("CFTC", "Commodity Futures Trading Commission"),
    "department of homeland security": ("DHS", "Department of Homeland Security"),
    "department of commerce": ("DOC", "Department of Commerce"),
    "department of energy": ("DOE", "Department of Energy"),
    "department of the interior": ("DOI", "Department of the Interior"),
    "department of justice": ("DOJ", "Department of Justice"),
    "department of labor": ("DOL", "Department of Labor"),
    "department of transportation": ("DOT", "Department of Transportation"),
    "election assistance commission": ("EAC", "Election Assistance Commission"),
    "department of education": ("ED", "Department of Education"),
    "environmental protection agency": ("EPA", "Environmental Protection Agency"),
    "farm credit administration": ("FCA", "Farm Credit Administration"),
    "federal communications commission": ("FCC", "Federal Communications Commission"),
    "federal deposit insurance corporation": ("FDIC", "Federal Deposit Insurance Corporation"),
    "federal energy regulatory commission": ("FERC", "Federal Energy Regulatory Commission"),
    "federal housing finance agency": ("FHFA", "Federal Housing Finance Agency"),
    "federal reserve board": ("FRB", "Federal Reserve Board"),
    "federal trade commission": ("FTC", "Federal Trade Commission"),
    "general services administration": ("GSA", "General Services Administration"),
    "department of health and human services": ("HHS", "Department of Health and Human Services"),
    "department of housing and urban development": ("HUD", "Department of Housing and Urban Development"),
    "national archives and records administration": ("NARA", "National Archives and Records Administration"),
    "national aeronautics and space administration": (
        "NASA",
        "National Aeronautics and Space Administration",
    ),
    "national credit union administration": ("NCUA", "National Credit Union Administration"),
    "national endowment for the arts": ("NEA", "National Endowment for the Arts"),
    "national indian gaming commission": ("NIGC", "National Indian Gaming Commission"),
    "nuclear regulatory commission": ("NRC", "Nuclear Regulatory Commission"),
    "national science foundation": ("NSF", "National Science Foundation"),
    "national transportation safety board": ("NTSB", "National Transportation Safety Board"),
    "office of special counsel": ("OSC", "Office of Special Counsel"),
    "occupational safety and health review commission": (
        "OSHRC",
        "Occupational Safety and Health Review Commission",
    ),
    "pension benefit guaranty corporation": ("PBGC", "Pension Benefit Guaranty Corporation"),
    "small business administration": ("SBA", "Small Business Administration"),
    "securities and exchange commission": ("SEC", "Securities and Exchange Commission"),
    "social security administration": ("SSA", "Social Security Administration"),
    "department of state": ("STATE", "Department of State"),
    "surface transportation board": ("STB", "Surface Transportation Board"),
    "department of the treasury": ("TREAS", "Department of the Treasury"),
    "tennessee valley authority": ("TVA", "Tennessee Valley Authority"),
    "department of agriculture": ("USDA", "Department of Agriculture"),
    "department of veterans affairs": ("VA", "Department of Veterans Affairs"),
}


def _norm_header(header: str) -> str:
    return " ".join(header.split()).casefold()


def layout_detect(headers: list[str]) -> str | None:
    """The layout whose identifying headers are all present, or ``None``."""
    present = {_norm_header(h) for h in headers}
    for layout, required in LAYOUT_HEADERS.items():
        if all(_norm_header(h) in present for h in required):
            return layout
    return None


class _Row:
    """Access to a row's cells by the layout's header names, whatever their case or spacing."""

    def __init__(self, headers: list[str]):
        self.columns = {_norm_header(h): h for h in headers}

    def __call__(self, row: dict, header: str) -> str:
        actual = self.columns.get(_norm_header(header))
        return row.get(actual, "") if actual else ""


def sheet_parse(table: Table, layout: str) -> ParsedSheet:
    """Turn the rows of a sheet of a known ``layout`` into records and rejections.

    Every row ends in exactly one of the two (COTS rows may feed one record per product).
    """
    parser = {
        OMB_2025_INDIVIDUAL: _omb_2025_individual,
        OMB_2025_COTS: _omb_2025_cots,
        OMB_2024_CONSOLIDATED: _omb_2024_consolidated,
    }[layout]
    records, rejections = parser(table)
    records, too_long = records_fit(records)
    rejections.extend(too_long)
    kept, duplicates, duplicated_ids = keys_assign(records)
    rejections.extend(duplicates)
    rejections.sort(key=lambda r: r.row_number)
    return ParsedSheet(
        layout=layout,
        records=kept,
        rejections=rejections,
        duplicate_keys=duplicated_ids,
        rows_total=len(table.rows),
    )


def _agency(name: str, abbreviation: str) -> tuple[str, str]:
    """The agency's (abbreviation, name) in the form the registry keeps."""
    known = AGENCIES_BY_NAME.get(name.casefold())
    if abbreviation:
        return abbreviation, known[1] if known and known[0] == abbreviation else (name or abbreviation)
    if known:
        return known
    return "", name


def _bureau(bureau: str, agency_name: str, abbreviation: str) -> str:
    """The bureau, or "" when the cell names the agency itself or nothing."""
    if is_placeholder(bureau) or bureau.casefold() in {agency_name.casefold(), abbreviation.casefold()}:
        return ""
    return bureau


def _scope(prefix: str, abbreviation: str, name: str) -> str:
    from django.utils.text import slugify

    return f"{prefix}:{abbreviation or slugify(name)}"


def _description(*parts: tuple[str, str]) -> str:
    """Non-blank parts joined by blank lines, each after its label ("" for none)."""
    out = []
    for label, value in parts:
        value = text(value)
        if value and not is_placeholder(value):
            out.append(f"{label}{value}")
    return "\n\n".join(out)


def _lenient(parse, value, default):
    try:
        return parse(value)
    except ValueError:
        return default


# --- OMB 2025, individual use cases --------------------------------------------------------

_STAGES_2025 = {
    "pre-deployment": LifecycleStage.BUILDING,
    "pilot": LifecycleStage.PILOT,
    "deployed": LifecycleStage.PRODUCTION,
    "retired": LifecycleStage.RETIRED,
}
_SOURCING_2025 = {
    "vendor purchased": Sourcing.BOUGHT,
    "in-house development": Sourcing.IN_HOUSE,
    "contracting and in house": Sourcing.BOTH,
}
_ML_TECHNIQUES = {
    AITechnique.CLASSICAL_ML,
    AITechnique.NLP,
    AITechnique.COMPUTER_VISION,
    AITechnique.REINFORCEMENT,
}


def _technique_2025(value: str) -> str:
    """OMB ``classification`` (shorthand or the dictionary's long form) -> ``AITechnique``."""
    value = one_line(value)
    if not value:
        return ""
    for candidate in (value, value.split(":", 1)[0]):
        try:
            return parse_technique(candidate)
        except ValueError:
            continue
    return AITechnique.OTHER


def _kind_2025(technique: str, sourcing: str) -> str:
    """The kind of an OMB 2025 use case, from its classification and how it was obtained."""
    if technique == AITechnique.AGENTIC:
        return UseCaseKind.AGENT
    if sourcing == Sourcing.BOUGHT:
        return UseCaseKind.COMMERCIAL_FEATURE
    if technique == AITechnique.GENERATIVE:
        return UseCaseKind.CUSTOM_GPT
    if technique in _ML_TECHNIQUES:
        return UseCaseKind.ML_MODEL
    return UseCaseKind.SCRIPT_APP


#: The columns the two OMB per-use-case layouts share, by role: agency name, agency
#: abbreviation, use case name, development stage, bureau.
_OMB_2025_COLUMNS = ("agency_name", "agency", "use_case_name", "development_stage", "agency_bureau")
_OMB_2024_COLUMNS = ("3_agency", "3_abr", "2_use_case_name", "16_dev_stage", "4_bureau")


def _omb_common(cell, row, columns, stages):
    """What OMB's per-use-case layouts share: ``(abbreviation, agency name, name, stage, bureau)``,
    or the reason (a string) the row is rejected."""
    agency_col, abbreviation_col, name_col, stage_col, bureau_col = columns
    abbreviation, agency_name = _agency(
        one_line(cell(row, agency_col)), one_line(cell(row, abbreviation_col))
    )
    name = one_line(cell(row, name_col))
    if not agency_name:
        return f"no agency ({agency_col} and {abbreviation_col} are blank)"
    if not name:
        return f"blank use case name ({name_col})"
    stage_text = one_line(cell(row, stage_col))
    stage = stages.get(stage_text.casefold(), "" if not stage_text else None)
    if stage is None:
        return f"unknown {stage_col} '{stage_text}'"
    return (
        abbreviation,
        agency_name,
        name,
        stage,
        _bureau(one_line(cell(row, bureau_col)), agency_name, abbreviation),
    )


def _omb_2025_individual(table: Table):
    cell = _Row(table.headers)
    records, rejections = [], []
    for number, row in zip(table.row_numbers, table.rows, strict=True):
        common = _omb_common(cell, row, _OMB_2025_COLUMNS, _STAGES_2025)
        if isinstance(common, str):
            rejections.append(Rejection(number, row, common))
            continue
        abbreviation, agency_name, name, stage, bureau = common
        technique = _technique_2025(cell(row, "classification"))
        sourcing = _SOURCING_2025.get(one_line(cell(row, "contracting_usage")).casefold(), "")
        source_id = one_line(cell(row, "id"))
        if is_placeholder(source_id):
            source_id = ""
        purpose = text(cell(row, "problem_solved"))
        description = _description(
            ("", cell(row, "benefits")),
            ("Data used: ", cell(row, "data_description")),
            ("Data: ", cell(row, "link_to_data")),
        )
        outputs = text(cell(row, "system_outputs"))
        has_ato = one_line(cell(row, "have_ato")).casefold().startswith("yes")
        fields = {
            "name": name,
            "purpose": purpose,
            "description": description,
            "outputs": outputs,
            "kind": _kind_2025(technique, sourcing),
            "technique": technique,
            "topic_area": one_line(cell(row, "topic_area")),
            "lifecycle_stage": stage,
            "sourcing": sourcing,
            "is_high_impact": one_line(cell(row, "is_high_impact")).casefold() == "high-impact",
            "high_impact_justification": text(cell(row, "HI_justification")),
            "handles_personal_data": one_line(cell(row, "has_pii")).casefold() == "yes",
            "code_url": _lenient(parse_url, cell(row, "code_url"), ""),
            "operational_since": _lenient(parse_date, cell(row, "operational_date"), None),
            "external_id": source_id,
            "source_row": source_row_pairs(row),
        }
        records.append(
            UseCaseRecord(
                row_number=number,
                row=row,
                team=TeamRef(org_name=agency_name, org_abbreviation=abbreviation, child_name=bureau),
                fields=fields,
                scope=_scope("omb2025", abbreviation, agency_name),
                source_id=source_id,
                identity=(bureau, name),
                content=tuple(row.values()),
                owner_emails=emails_in(cell(row, "contact_email")),
                vendors=[(v, None) for v in vendor_names(cell(row, "vendor_name"))],
                ato_reference=one_line(cell(row, "system_name_ato"))[:500] if has_ato else None,
            )
        )
    return records, rejections


# --- OMB 2024, consolidated -----------------------------------------------------------------

_STAGES_2024 = {
    "initiated": LifecycleStage.IDEA,
    "planned": LifecycleStage.IDEA,
    "acquisition and/or development": LifecycleStage.BUILDING,
    "implementation and assessment": LifecycleStage.PILOT,
    "operation and maintenance": LifecycleStage.PRODUCTION,
    "in production": LifecycleStage.PRODUCTION,
    "in mission": LifecycleStage.PRODUCTION,
    "retired": LifecycleStage.RETIRED,
}
_SOURCING_2024 = {
    "developed with contracting resources": Sourcing.BOUGHT,
    "developed in-house": Sourcing.IN_HOUSE,
    "developed with both contracting and in-house resources": Sourcing.BOTH,
}
_HIGH_IMPACT_2024 = {"rights-impacting", "safety-impacting", "both"}


def _omb_2024_consolidated(table: Table):
    cell = _Row(table.headers)
    records, rejections = [], []
    for number, row in zip(table.row_numbers, table.rows, strict=True):
        common = _omb_common(cell, row, _OMB_2024_COLUMNS, _STAGES_2024)
        if isinstance(common, str):
            rejections.append(Rejection(number, row, common))
            continue
        abbreviation, agency_name, name, stage, bureau = common
        commercial = one_line(cell(row, "10_commercial_ai"))
        is_commercial = (
            bool(commercial) and not is_placeholder(commercial) and commercial != "None of the above."
        )
        purpose = text(cell(row, "11_purpose_benefits"))
        outputs = text(cell(row, "12_outputs"))
        description = _description(("Data used: ", cell(row, "33_agency_data")))
        has_ato = one_line(cell(row, "40_has_ato")).casefold() == "yes"
        fields = {
            "name": name,
            "purpose": purpose,
            "description": description,
            "outputs": outputs,
            # The 2024 layout has no AI classification: a commercial use or, failing that,
            # the generic kind.
            "kind": UseCaseKind.COMMERCIAL_FEATURE if is_commercial else UseCaseKind.SCRIPT_APP,
            "topic_area": one_line(cell(row, "8_topic_area")),
            "lifecycle_stage": stage,
            "sourcing": _SOURCING_2024.get(one_line(cell(row, "22_dev_method")).rstrip(".").casefold(), ""),
            "is_high_impact": one_line(cell(row, "17_impact_type")).casefold() in _HIGH_IMPACT_2024,
            "handles_personal_data": one_line(cell(row, "29_contains_pii")).casefold() == "yes",
            "code_url": _lenient(parse_url, cell(row, "39_code_link"), ""),
            "operational_since": _lenient(parse_date, cell(row, "20_date_implemented"), None),
            "source_row": source_row_pairs(row),
        }
        records.append(
            UseCaseRecord(
                row_number=number,
                row=row,
                team=TeamRef(org_name=agency_name, org_abbreviation=abbreviation, child_name=bureau),
                fields=fields,
                scope=_scope("omb2024", abbreviation, agency_name),
                identity=(bureau, name),
                content=tuple(row.values()),
                manages_contact=False,
                ato_reference=one_line(cell(row, "41_system_name"))[:500] if has_ato else None,
            )
        )
    return records, rejections


# --- OMB 2025, commercial off-the-shelf ---------------------------------------------------


def _omb_2025_cots(table: Table):
    """One record per (agency, product) used: rows with ``Agency Use (Y/N)?`` = Y, grouped by
    agency and normalised product name (a cell naming several products feeds each)."""
    cell = _Row(table.headers)
    rejections = []
    groups: dict[tuple[str, str], dict] = {}
    for number, row in zip(table.row_numbers, table.rows, strict=True):
        agency_cell = one_line(cell(row, "Agency"))
        used = one_line(cell(row, "Agency Use (Y/N)?")).casefold()
        products_cell = cell(row, "Name of Commercial Product or Service Used")
        if not agency_cell:
            rejections.append(Rejection(number, row, "no agency (Agency is blank)"))
            continue
        if used in {"n", "no"}:
            rejections.append(Rejection(number, row, "not used by the agency (Agency Use (Y/N)? = N)"))
            continue
        if used not in {"y", "yes"}:
            reason = (
                "Agency Use (Y/N)? is blank" if not used else f"Agency Use (Y/N)? is '{used}', not Y or N"
            )
            rejections.append(Rejection(number, row, reason))
            continue
        products = product_names(products_cell)
        if not products:
            shown = one_line(products_cell)
            reason = (
                f"used (Y) but the product is '{shown}', not a product name"
                if shown
                else "used (Y) but no product is named"
            )
            rejections.append(Rejection(number, row, reason))
            continue
        abbreviation, agency_name = _agency(agency_cell, "")
        for product in products:
            group = groups.setdefault(
                (agency_name.casefold(), product_key(product)),
                {"agency": (abbreviation, agency_name), "spellings": {}, "rows": []},
            )
            group["spellings"][product] = group["spellings"].get(product, 0) + 1
            group["rows"].append((number, row))
    records = [_cots_record(cell, group) for group in groups.values()]
    return records, rejections


def _cots_record(cell, group) -> UseCaseRecord:
    abbreviation, agency_name = group["agency"]
    # The most used spelling names the product (ties: the alphabetically first).
    product = sorted(group["spellings"].items(), key=lambda s: (-s[1], s[0]))[0][0]
    rows = group["rows"]
    uses = []
    for _, row in rows:
        use = one_line(cell(row, "AI Use Case"))
        if use and use not in uses:
            uses.append(use)
    bands = [one_line(cell(row, "Estimated # of Licenses/Users")) for _, row in rows]
    bands = [b for b in bands if band_lower_bound(b) is not None]
    # The widest band reported for any of the product's uses.
    band = max(bands, key=band_lower_bound, default="")
    vendor = vendor_for_product(product)
    cells = []
    for _, row in rows:
        value = one_line(cell(row, "Name of Commercial Product or Service Used"))
        if value not in cells:
            cells.append(value)
    fields = {
        "name": product[:500],
        "purpose": "Used for:\n" + "\n".join(f"- {u}" for u in uses),
        "description": (
            f"Commercial AI product reported by {agency_name} in OMB's 2025 inventory of "
            f"commercial-off-the-shelf AI use, as: {'; '.join(cells)}."
        ),
        "kind": UseCaseKind.COMMERCIAL_FEATURE,
        "lifecycle_stage": LifecycleStage.PRODUCTION,
        "sourcing": Sourcing.BOUGHT,
        "platform": product[:200],
        "users_band": band,
        "users_count": band_lower_bound(band),
        "source_row": source_row_pairs(
            {
                "Agency": one_line(cell(rows[0][1], "Agency")),
                "Name of Commercial Product or Service Used": " | ".join(cells),
                "AI Use Case": "\n".join(uses),
                "Agency Use (Y/N)?": "Y",
                "Estimated # of Licenses/Users": band,
                "rows": ", ".join(str(n) for n, _ in rows),
            }
        ),
    }
    return UseCaseRecord(
        row_number=rows[0][0],
        row=rows[0][1],
        team=TeamRef(org_name=agency_name, org_abbreviation=abbreviation),
        fields=fields,
        scope=_scope("omb2025-cots", abbreviation, agency_name),
        source_id=product_key(product)[:200],
        manages_contact=False,
        vendors=[(vendor, product[:200])] if vendor else [],
    )
