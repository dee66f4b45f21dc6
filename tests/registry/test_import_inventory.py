"""``import_inventory`` on the real inventories in ../shared/data, on mapped sheets made from
them at run time, and on bad files. Expected counts are worked out from the files here."""

import csv
import gzip
import io
import json
import os
import subprocess
import sys
from collections import Counter

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import TeamKind
from accounts.models import Team
from registry.choices import LifecycleStage, ReviewSource, ReviewState, RiskTier, UseCaseKind
from registry.models import AIModel, ImportBatch, SecurityReview, UseCase, Vendor, VendorUse
from registry.services.imports import inventory_import
from tests.conftest import REPO_ROOT
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INDIVIDUAL = "federal-ai-inventory-2025/individual_use_cases.csv"
COTS = "federal-ai-inventory-2025/cots_use_cases.csv"
CONSOLIDATED_2024 = "federal-ai-inventory-2024/consolidated_use_cases.csv"


def read_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


def write_csv(path, headers, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=headers)
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(path, tmp_path, *args):
    """Run the command; return (stdout, stderr, rejects path it was told to use)."""
    out, err = io.StringIO(), io.StringIO()
    rejects = tmp_path / "rejected.csv"
    call_command("import_inventory", str(path), "--rejects", str(rejects), *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip(), rejects


def identical_row_duplicates(rows):
    """Spreadsheet row numbers of rows identical to an earlier row -> that row's number."""
    first, dups = {}, {}
    for number, row in enumerate(rows, start=2):
        key = tuple(row.values())
        if key in first:
            dups[number] = first[key]
        else:
            first[key] = number
    return dups


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (UseCase, Team, Vendor, AIModel, VendorUse, SecurityReview, ImportBatch)
    }


# --- the three real layouts ---------------------------------------------------------------


def test_omb_2025_individual_imports_every_row_or_rejects_it_with_a_reason(shared_data, tmp_path):
    headers, rows = read_rows(shared_data / INDIVIDUAL)
    assert len(rows) == 3611
    blank_names = {n for n, r in enumerate(rows, start=2) if not r["use_case_name"].strip()}
    duplicates = identical_row_duplicates(rows)
    assert blank_names == {839} and duplicates == {1168: 1161, 1782: 1781}
    expected_created = len(rows) - len(blank_names) - len(duplicates)
    # A person whose address is an agency's contact mailbox becomes the owner of its use cases.
    doj_person = UserFactory(email="ai@USDOJ.gov")

    out, err, rejects = run(shared_data / INDIVIDUAL, tmp_path)

    assert out == f"created {expected_created}, updated 0, unchanged 0, rejected 3; rejected rows: {rejects}"
    assert "DOJ:DOJ-0160, DOJ:DOJ-0357" in err
    with open(rejects, encoding="utf-8-sig", newline="") as f:
        rejected = list(csv.DictReader(f))
    assert [(int(r["row_number"]), r["reason"]) for r in rejected] == [
        (839, "blank use case name (use_case_name)"),
        (1168, "duplicate of row 1161"),
        (1782, "duplicate of row 1781"),
    ]
    assert rejected[0]["id"] == "DOI-0015"  # the original row is beside its reason

    imported = UseCase.objects.filter(source_key__startswith="omb2025:")
    assert imported.count() == expected_created
    # Keys: the id scoped by agency; agency-local ids repeated across agencies stay distinct,
    # blank and in-agency duplicated ids get fallback keys.
    assert imported.filter(source_key="omb2025:EPA:35").exists()
    assert imported.filter(source_key="omb2025:NSF:35").exists()
    assert imported.filter(source_key="omb2025:TREAS:35").exists()
    assert imported.filter(external_id="DOJ-0160").count() == 2
    assert not imported.filter(source_key="omb2025:DOJ:DOJ-0160").exists()
    blank_ids = sum(1 for r in rows if r["id"].strip() in ("", "TBD"))
    fallback = blank_ids + 4 - 2  # + the four DOJ rows with repeated ids - the two duplicates
    assert imported.filter(source_key__contains=":h:").count() == fallback

    # Teams: one organisation unit per agency, bureaus inside it.
    agencies = {(r["agency"], r["agency_name"]) for r in rows}
    orgs = Team.objects.filter(kind=TeamKind.ORGANISATION, parent=None)
    assert set(orgs.values_list("abbreviation", "name")) == agencies
    doj = orgs.get(abbreviation="DOJ")
    assert doj.slug == "doj"
    dea = Team.objects.get(parent=doj, name="Department of Justice / DEA")
    assert dea.slug == "doj-department-of-justice-dea" and dea.kind == TeamKind.DOMAIN
    blank_bureau = next(r for r in rows if not r["agency_bureau"].strip() and r["use_case_name"].strip())
    assert UseCase.objects.filter(
        name=blank_bureau["use_case_name"], team__abbreviation=blank_bureau["agency"], team__parent=None
    ).exists()

    # Stages, high impact, personal data: as many as the file says.
    kept = [r for n, r in enumerate(rows, start=2) if n not in blank_names and n not in duplicates]
    stage_of = {
        "Pre-deployment": "building",
        "Pilot": "pilot",
        "Deployed": "production",
        "Retired": "retired",
    }
    assert Counter(imported.values_list("lifecycle_stage", flat=True)) == Counter(
        stage_of.get(r["development_stage"], "") for r in kept
    )
    assert imported.filter(is_high_impact=True).count() == sum(
        r["is_high_impact"] == "High-impact" for r in kept
    )
    assert imported.filter(handles_personal_data=True).count() == sum(r["has_pii"] == "Yes" for r in kept)
    assert imported.filter(kind=UseCaseKind.AGENT).count() == sum(
        r["classification"] == "Agentic AI" for r in kept
    )

    # An authority to operate is an approved, imported security review.
    with_ato = [r for r in kept if r["have_ato"] == "Yes"]
    reviews = SecurityReview.objects.filter(source=ReviewSource.IMPORTED_ATO, state=ReviewState.APPROVED)
    assert reviews.count() == len(with_ato)
    assert imported.filter(review_status="approved").count() == len(with_ato)
    sample = next(r for r in with_ato if r["id"].startswith("DOJ-") and r["system_name_ato"].strip())
    review = reviews.get(use_case__source_key=f"omb2025:DOJ:{sample['id']}")
    assert review.authorisation_reference == sample["system_name_ato"].strip()

    # One row in detail.
    row = next(r for r in kept if r["id"] == "DOJ-0357")
    uc = UseCase.objects.get(external_id="DOJ-0357")
    assert uc.name == row["use_case_name"] and uc.purpose == row["problem_solved"].strip()
    assert uc.description.startswith(row["benefits"].strip())
    assert uc.source_row == [[column, value] for column, value in row.items()]  # in the sheet's order
    assert uc.owner == doj_person and uc.contact_email == ""
    nasa = UseCase.objects.filter(team__parent__abbreviation="NASA").first()
    assert (
        nasa.owner is None and nasa.contact_email == "agency-caio@mail.nasa.gov" and not nasa.has_named_owner
    )

    # Vendors are deduplicated case-insensitively; placeholders are not vendors.
    assert not Vendor.objects.filter(name__in=["Not available", "N/A", "None", "TBD", "Unknown", ""]).exists()
    assert Vendor.objects.filter(name__iexact="microsoft").count() == 1
    microsoft_rows = sum(1 for r in kept if r["vendor_name"].strip().casefold() == "microsoft")
    assert VendorUse.objects.filter(vendor__name__iexact="microsoft").count() >= microsoft_rows

    # The risk tier is computed from what the use case touches.
    risky = imported.filter(is_high_impact=True, handles_personal_data=True).first()
    assert risky.risk_tier == RiskTier.HIGH
    assert risky.risk_reasons[0].startswith("designated high-impact AI")
    assert ImportBatch.objects.get().created == expected_created


def test_reimport_creates_nothing_and_changes_nothing(shared_data, tmp_path):
    path = shared_data / INDIVIDUAL
    run(path, tmp_path)
    before = dict(UseCase.objects.values_list("pk", "updated_at"))
    totals = counts()

    out, _, rejects = run(path, tmp_path)

    assert out == f"created 0, updated 0, unchanged {len(before)}, rejected 3; rejected rows: {rejects}"
    assert dict(UseCase.objects.values_list("pk", "updated_at")) == before
    assert counts() == totals  # no second review, vendor use, team or import batch


def test_the_shipped_compressed_copies_import_like_the_originals(shared_data, tmp_path):
    shipped = REPO_ROOT / "registry" / "data"
    for name, original in (
        ("omb-2025-individual_use_cases.csv.gz", INDIVIDUAL),
        ("omb-2025-cots_use_cases.csv.gz", COTS),
    ):
        assert gzip.decompress((shipped / name).read_bytes()) == (shared_data / original).read_bytes()
    first = inventory_import(shipped / "omb-2025-cots_use_cases.csv.gz")
    again = inventory_import(shared_data / COTS)
    assert first.created > 0 and (again.created, again.updated, again.unchanged) == (0, 0, first.created)


def test_omb_2025_cots_one_use_case_per_agency_and_product_used(shared_data, tmp_path):
    _, rows = read_rows(shared_data / COTS)
    used = [r["Agency Use (Y/N)?"] for r in rows]
    products = [r["Name of Commercial Product or Service Used"].strip() for r in rows]
    not_used = used.count("N")
    blank = used.count("")
    no_product = sum(
        1 for u, p in zip(used, products, strict=True) if u == "Y" and p in ("", "N/A", "Various")
    )
    assert (len(rows), not_used, blank, no_product) == (900, 416, 16, 48)

    out, _, rejects = run(shared_data / COTS, tmp_path)

    created = UseCase.objects.count()
    assert (
        out == f"created {created}, updated 0, unchanged 0, rejected {not_used + blank + no_product}; "
        f"rejected rows: {rejects}"
    )
    with open(rejects, encoding="utf-8-sig", newline="") as f:
        reasons = Counter(r["reason"] for r in csv.DictReader(f))
    assert reasons["not used by the agency (Agency Use (Y/N)? = N)"] == not_used
    assert reasons["Agency Use (Y/N)? is blank"] == blank
    assert sum(n for reason, n in reasons.items() if reason.startswith("used (Y) but")) == no_product

    # The Udall Foundation uses "Microsoft CoPilot" for two standard uses and "Apple" for one.
    udall = Team.objects.get(name="Morris K. Udall and Stewart L. Udall Foundation")
    assert udall.kind == TeamKind.ORGANISATION and udall.parent is None
    copilot, apple = UseCase.objects.filter(team=udall).order_by("-name")
    uses = [
        r["AI Use Case"].strip()
        for r in rows
        if r["Agency"] == udall.name
        and r["Name of Commercial Product or Service Used"] == "Microsoft CoPilot"
        and r["Agency Use (Y/N)?"] == "Y"
    ]
    assert copilot.name == "Microsoft CoPilot" and apple.name == "Apple"
    assert copilot.purpose == "Used for:\n" + "\n".join(f"- {u}" for u in uses) and len(uses) == 2
    assert (
        copilot.kind == UseCaseKind.COMMERCIAL_FEATURE
        and copilot.lifecycle_stage == LifecycleStage.PRODUCTION
    )
    assert (copilot.users_band, copilot.users_count) == ("1-100", 1)
    # One model per product and vendor, whatever the spelling of each agency.
    [(vendor, model)] = copilot.vendor_uses.values_list("vendor__name", "model__name")
    assert vendor == "Microsoft" and model.casefold() == "microsoft copilot"
    assert list(apple.vendors.values_list("name", flat=True)) == ["Apple"]
    # PBGC reports Microsoft Copilot in two bands: the widest one counts.
    pbgc = UseCase.objects.get(team__name="Pension Benefit Guaranty Corporation", name="Microsoft Copilot")
    assert (pbgc.users_band, pbgc.users_count) == ("1001-5000", 1001)
    # A cell naming several products feeds each one.
    fcc = set(
        UseCase.objects.filter(team__name="Federal Communications Commission").values_list("name", flat=True)
    )
    assert {"Microsoft Copilot", "AWS Q Developer", "Microsoft Azure Open AI"} <= fcc


def test_omb_2024_consolidated_layout(shared_data, tmp_path):
    _, rows = read_rows(shared_data / CONSOLIDATED_2024)
    duplicates = identical_row_duplicates(rows)
    assert len(rows) == 1757 and duplicates == {435: 419, 446: 442, 477: 475}

    out, _, rejects = run(shared_data / CONSOLIDATED_2024, tmp_path)

    kept = [r for n, r in enumerate(rows, start=2) if n not in duplicates]
    assert out == f"created {len(kept)}, updated 0, unchanged 0, rejected 3; rejected rows: {rejects}"
    imported = UseCase.objects.filter(source_key__startswith="omb2024:")
    stage = {
        "Initiated": "idea",
        "Planned": "idea",
        "Acquisition and/or Development": "building",
        "Implementation and Assessment": "pilot",
        "Operation and Maintenance": "production",
        "In production": "production",
        "In mission": "production",
        "Retired": "retired",
    }
    assert Counter(imported.values_list("lifecycle_stage", flat=True)) == Counter(
        stage.get(r["16_dev_stage"].strip(), "") for r in kept
    )
    impact = sum(
        r["17_impact_type"].strip().lower() in ("rights-impacting", "safety-impacting", "both") for r in kept
    )
    assert imported.filter(is_high_impact=True).count() == impact
    assert SecurityReview.objects.count() == sum(r["40_has_ato"].strip() == "Yes" for r in kept)
    # The 2024 file names the Federal Reserve differently; the abbreviation finds one team.
    assert Team.objects.get(abbreviation="FRB").name == "Federal Reserve Board"
    # Two TVA rows share a name and purpose but not their dates and contracts: both kept.
    assert imported.filter(name="Advanced Threat Protection", team__parent__abbreviation="TVA").count() == 2


# --- changes, reports, dry runs -----------------------------------------------------------


def test_changing_one_cell_updates_one_use_case(shared_data, tmp_path):
    headers, rows = read_rows(shared_data / INDIVIDUAL)
    rows = rows[:300]
    original = write_csv(tmp_path / "inventory.csv", headers, rows)
    out, _, _ = run(original, tmp_path)
    assert out == "created 300, updated 0, unchanged 0, rejected 0"
    before = dict(UseCase.objects.values_list("pk", "updated_at"))

    rows[7] = dict(rows[7], problem_solved="A clearer statement of the problem.")
    out, _, _ = run(write_csv(tmp_path / "inventory.csv", headers, rows), tmp_path)

    assert out == "created 0, updated 1, unchanged 299, rejected 0"
    changed = UseCase.objects.get(purpose="A clearer statement of the problem.")
    assert changed.external_id == rows[7]["id"]
    after = dict(UseCase.objects.values_list("pk", "updated_at"))
    assert [pk for pk in after if after[pk] != before[pk]] == [changed.pk]
    assert changed.import_batch == ImportBatch.objects.order_by("-pk").first()
    assert ImportBatch.objects.count() == 2

    # A use case moved to another bureau moves to that team (created inside the agency).
    rows[20] = dict(rows[20], agency_bureau="Office of Newly Formed Things")
    out, _, _ = run(write_csv(tmp_path / "inventory.csv", headers, rows), tmp_path)
    assert out == "created 0, updated 1, unchanged 299, rejected 0"
    moved = UseCase.objects.get(source_key=f"omb2025:{rows[20]['agency']}:{rows[20]['id']}")
    assert moved.team.name == "Office of Newly Formed Things"
    assert moved.team.parent.abbreviation == rows[20]["agency"]


def test_rejected_rows_go_to_a_csv_in_the_working_directory_by_default(shared_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    call_command("import_inventory", str(shared_data / COTS), stdout=out)
    report = tmp_path / "cots_use_cases.rejected.csv"
    assert out.getvalue().strip().endswith(f"rejected 480; rejected rows: {report}")
    with open(report, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        rejected = list(reader)
    assert reader.fieldnames[:2] == ["row_number", "reason"]
    assert reader.fieldnames[2:] == read_rows(shared_data / COTS)[0]
    assert len(rejected) == 480 and all(r["reason"] for r in rejected)
    first_n = next(r for r in rejected if r["Agency Use (Y/N)?"] == "N")
    assert first_n["reason"] == "not used by the agency (Agency Use (Y/N)? = N)"


def test_dry_run_writes_nothing(shared_data, tmp_path):
    out, _, _ = run(shared_data / COTS, tmp_path, "--dry-run")
    assert out.startswith("created ") and "(dry run: nothing written)" in out
    assert counts() == dict.fromkeys(counts(), 0)
    created = int(out.split()[1].rstrip(","))
    real, _, _ = run(shared_data / COTS, tmp_path)
    assert real.startswith(f"created {created}, updated 0, unchanged 0, rejected 480")


def test_query_count_does_not_grow_with_the_row_count(shared_data, tmp_path):
    headers, rows = read_rows(shared_data / INDIVIDUAL)
    small = write_csv(tmp_path / "small.csv", headers, rows[:50])
    large = write_csv(tmp_path / "large.csv", headers, rows[:500])

    def queries(path, **kwargs):
        with CaptureQueriesContext(connection) as ctx:
            result = inventory_import(path, **kwargs)
        sql = [q["sql"].lstrip().upper() for q in ctx.captured_queries]
        return result, len(sql), sum(1 for s in sql if not s.startswith("INSERT"))

    first_small, total_small, other_small = queries(small, dry_run=True)
    first_large, total_large, other_large = queries(large, dry_run=True)
    assert (first_small.created, first_large.created) == (50, 500)
    # Reads and updates are the same few queries; inserts go in batches of 500, except that
    # SQLite's 999-parameter limit makes Django split them further.
    assert other_small == other_large
    if connection.vendor == "postgresql":
        assert total_small == total_large
    assert total_large < 60

    inventory_import(large)  # now re-import: everything exists
    again_small, total_small, _ = queries(small)
    again_large, total_large, _ = queries(large)
    assert (again_small.unchanged, again_large.unchanged) == (50, 500)
    assert total_small == total_large < 20


# --- a company's own sheet, with a mapping ------------------------------------------------

MAPPED_HEADERS = [
    "Tool",
    "Department",
    "Office",
    "What it solves",
    "Stage",
    "Vendors",
    "PII?",
    "Ref",
    "Contact",
    "Seats",
]


def mapped_rows(shared_data, n=40):
    """Real 2025 rows under a company's own headers."""
    _, rows = read_rows(shared_data / INDIVIDUAL)
    rows = [r for r in rows if r["use_case_name"].strip() and r["id"].strip()][:n]
    return [
        {
            "Tool": r["use_case_name"],
            "Department": r["agency_name"],
            "Office": r["agency_bureau"],
            "What it solves": r["problem_solved"],
            "Stage": r["development_stage"],
            "Vendors": r["vendor_name"],
            "PII?": r["has_pii"],
            "Ref": r["id"],
            "Contact": r["contact_email"],
            "Seats": str(10 * (i + 1)),
        }
        for i, r in enumerate(rows)
    ]


MAPPING = {
    "columns": {
        "Tool": "name",
        "Department": "parent_team",
        "Office": "team",
        "What it solves": "purpose",
        "Stage": "lifecycle_stage",
        "Vendors": "vendor",
        "PII?": "handles_personal_data",
        "Ref": "external_id",
        "Contact": "owner_email",
        "Seats": "users_count",
    },
    "defaults": {"kind": "Automation workflow"},
}


def write_xlsx(path, headers, rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append([int(row[h]) if h == "Seats" and row[h].isdigit() else row[h] for h in headers])
    workbook.create_sheet("Notes").append(["Only the first sheet is imported"])
    workbook.save(path)
    return path


def test_a_mapped_sheet_imports_as_csv_and_as_xlsx(shared_data, tmp_path):
    rows = mapped_rows(shared_data)
    bad = [
        dict(rows[0], Tool="Stage nobody knows", Ref="X-1", Stage="Someday"),
        dict(rows[0], Tool="", Ref="X-2"),
        dict(rows[0], Tool="Seats that are not a number", Ref="X-3", Seats="many"),
        dict(rows[0], Tool="No team", Ref="X-4", Department="", Office=""),
    ]
    sheet_rows = rows + bad
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(MAPPING))
    sheet = write_csv(tmp_path / "company.csv", MAPPED_HEADERS, sheet_rows)

    out, _, rejects = run(sheet, tmp_path, "--mapping", str(mapping))

    assert out == f"created {len(rows)}, updated 0, unchanged 0, rejected 4; rejected rows: {rejects}"
    with open(rejects, encoding="utf-8-sig", newline="") as f:
        reasons = {r["Ref"]: r["reason"] for r in csv.DictReader(f)}
    assert reasons == {
        "X-1": "lifecycle_stage: 'Someday' is not a known lifecycle stage",
        "X-2": "blank name",
        "X-3": "users_count: 'many' is not a number",
        "X-4": "no team (the team cell is blank and no default is given)",
    }
    first = UseCase.objects.get(external_id=rows[0]["Ref"])
    assert first.kind == UseCaseKind.AUTOMATION and first.users_count == 10
    assert (
        first.lifecycle_stage
        == {
            "Deployed": "production",
            "Pilot": "pilot",
            "Pre-deployment": "building",
            "Retired": "retired",
            "": "",
        }[rows[0]["Stage"]]
    )
    assert first.team.name == rows[0]["Office"].strip() and first.team.parent.name == rows[0]["Department"]
    assert first.contact_email == rows[0]["Contact"] and first.owner is None
    assert first.source_row == [[column, value] for column, value in rows[0].items()]
    assert UseCase.objects.filter(handles_personal_data=True).count() == sum(r["PII?"] == "Yes" for r in rows)

    # The same rows as a workbook (numbers as numbers, a second sheet): the same use cases.
    workbook = write_xlsx(tmp_path / "company.xlsx", MAPPED_HEADERS, sheet_rows)
    out, _, _ = run(workbook, tmp_path, "--mapping", str(mapping))
    assert out.startswith(f"created 0, updated 0, unchanged {len(rows)}, rejected 4")


def test_a_mapped_xlsx_imports_on_its_own_with_a_flat_mapping(shared_data, tmp_path):
    rows = mapped_rows(shared_data, n=12)
    workbook = write_xlsx(tmp_path / "company.xlsx", MAPPED_HEADERS, rows)
    mapping = tmp_path / "flat.json"
    mapping.write_text(
        json.dumps({"Tool": "name", "Department": "team", "Ref": "external_id", "Stage": "lifecycle_stage"})
    )
    out, _, _ = run(workbook, tmp_path, "--mapping", str(mapping))
    assert out == "created 12, updated 0, unchanged 0, rejected 0"
    uc = UseCase.objects.get(external_id=rows[3]["Ref"])
    assert uc.team.name == rows[3]["Department"] and uc.team.parent is None
    assert uc.kind == UseCaseKind.SCRIPT_APP  # no kind column: the generic kind


def test_a_mapping_overrides_layout_detection(shared_data, tmp_path):
    headers, rows = read_rows(shared_data / INDIVIDUAL)
    sheet = write_csv(tmp_path / "omb.csv", headers, rows[:20])
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"columns": {"use_case_name": "name", "agency_name": "team"}}))
    result = inventory_import(sheet, mapping=json.loads(mapping.read_text()))
    assert result.layout == "mapping" and result.created == 20
    assert UseCase.objects.filter(source_key__startswith="mapping:").count() == 20


# --- bad files ----------------------------------------------------------------------------


def _bad_files(tmp_path, shared_data):
    header_line = (shared_data / INDIVIDUAL).read_text(encoding="utf-8-sig").splitlines()[0]
    (tmp_path / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    (tmp_path / "binary.csv").write_bytes(b"agency,id\n\x00\x01\x02,\x00\n")
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "headers_only.csv").write_text(header_line + "\n", encoding="utf-8")
    write_csv(tmp_path / "unknown.csv", ["Tool", "Team"], [{"Tool": "Chatbot", "Team": "Sales"}])
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    write_csv(tmp_path / "sheet.csv", MAPPED_HEADERS, mapped_rows(shared_data, n=3))
    (tmp_path / "missing_columns.json").write_text(json.dumps({"Tool": "name", "Owner team": "team"}))
    (tmp_path / "not_json.json").write_text("{'Tool': 'name'")
    (tmp_path / "unknown_field.json").write_text(json.dumps({"Tool": "name", "Department": "squad"}))
    (tmp_path / "bad_default.json").write_text(
        json.dumps({"columns": {"Tool": "name"}, "defaults": {"team": "Sales", "lifecycle_stage": "someday"}})
    )
    return {
        "not CSV or XLSX (an image)": (["picture.png"], "not a CSV or XLSX file"),
        "not CSV or XLSX (a PDF)": (["report.pdf"], "not a CSV or XLSX file"),
        "binary data named .csv": (["binary.csv"], "binary data"),
        "empty": (["empty.csv"], "the file is empty"),
        "headers only": (["headers_only.csv"], "headers but no data rows"),
        "unknown layout without a mapping": (["unknown.csv"], "unrecognised layout"),
        "a broken workbook": (["broken.xlsx"], "not a valid XLSX workbook"),
        "a mapping naming missing columns": (
            ["sheet.csv", "--mapping", "missing_columns.json"],
            "mapping names column(s) the file lacks: 'Owner team'",
        ),
        "a mapping that is not JSON": (["sheet.csv", "--mapping", "not_json.json"], "not valid JSON"),
        "a mapping naming an unknown field": (
            ["sheet.csv", "--mapping", "unknown_field.json"],
            "unknown field(s) 'squad'",
        ),
        "a mapping with a bad default": (
            ["sheet.csv", "--mapping", "bad_default.json"],
            "default for lifecycle_stage: 'someday' is not a known lifecycle stage",
        ),
    }


BAD_FILE_CASES = [
    "not CSV or XLSX (an image)",
    "not CSV or XLSX (a PDF)",
    "binary data named .csv",
    "empty",
    "headers only",
    "unknown layout without a mapping",
    "a broken workbook",
    "a mapping naming missing columns",
    "a mapping that is not JSON",
    "a mapping naming an unknown field",
    "a mapping with a bad default",
]


@pytest.mark.parametrize("case", BAD_FILE_CASES)
def test_a_bad_file_exits_with_status_2_and_writes_nothing(case, shared_data, tmp_path):
    args, message = _bad_files(tmp_path, shared_data)[case]
    args = [str(tmp_path / a) if not a.startswith("--") else a for a in args]
    rejects = tmp_path / "rejected.csv"
    with pytest.raises(CommandError) as raised:
        call_command("import_inventory", *args, "--rejects", str(rejects), stdout=io.StringIO())
    assert raised.value.returncode == 2
    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert counts() == dict.fromkeys(counts(), 0)
    assert not rejects.exists()


def test_the_command_line_prints_one_error_line_and_exits_2(shared_data, tmp_path):
    _bad_files(tmp_path, shared_data)
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'untouched.sqlite3'}", DEBUG="1")
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), "import_inventory", str(tmp_path / "unknown.csv")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown.csv: unrecognised layout" in lines[0] and "--mapping" in lines[0]
    assert not (tmp_path / "unknown.rejected.csv").exists()


def test_a_bad_row_never_aborts_the_file(shared_data, tmp_path):
    headers, rows = read_rows(shared_data / INDIVIDUAL)
    rows = rows[:30]
    rows[4] = dict(rows[4], development_stage="Somewhere in between")
    rows[9] = dict(rows[9], agency="", agency_name="")
    rows[12] = dict(rows[12], code_url="not publicly available", operational_date="someday")
    rows[15] = dict(rows[15], use_case_name="A name that goes on " * 30)
    result = inventory_import(write_csv(tmp_path / "rows.csv", headers, rows))
    assert (result.created, result.rejected) == (27, 3)
    assert [(r["row_number"], r["reason"]) for r in result.rejected_rows] == [
        (6, "unknown development_stage 'Somewhere in between'"),
        (11, "no agency (agency_name and agency are blank)"),
        (17, "name is longer than 500 characters"),
    ]
    # Cells the OMB layout only describes (a code link, a date) are dropped, not fatal.
    uc = UseCase.objects.get(name=rows[12]["use_case_name"], external_id=rows[12]["id"])
    assert uc.code_url == "" and uc.operational_since is None


def test_cp1252_csv_is_read(shared_data, tmp_path):
    rows = mapped_rows(shared_data, n=3)
    rows[0]["Tool"] = "Café assistant – résumé triage"
    path = tmp_path / "excel.csv"
    with open(path, "w", encoding="cp1252", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=MAPPED_HEADERS, delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    result = inventory_import(path, mapping=MAPPING)
    assert result.created == 3
    assert UseCase.objects.filter(name="Café assistant – résumé triage").exists()
