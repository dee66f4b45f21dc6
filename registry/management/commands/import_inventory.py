"""``python manage.py import_inventory PATH [--mapping FILE] [--dry-run] [--rejects PATH]``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.exceptions import ImportFileError
from registry.importers.mapping import MAPPING_FIELDS, mapping_load
from registry.services.imports import inventory_import


def default_rejects_path(source: Path) -> Path:
    """``<input file stem>.rejected.csv`` in the current directory (inputs may be read-only)."""
    name = source.name
    for suffix in (".gz", ".csv", ".xlsx", ".xlsm", ".txt", ".tsv"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return (Path.cwd() / f"{name or 'import'}.rejected.csv").resolve()


class Command(BaseCommand):
    help = (
        "Import AI use cases from a spreadsheet (CSV, .csv.gz or XLSX). OMB's 2025 individual and "
        "COTS inventories and the 2024 consolidated inventory are recognised by their headers; any "
        "other sheet needs --mapping. Prints 'created N, updated N, unchanged N, rejected N'. "
        "A bad file exits with status 2 and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", help="The spreadsheet: .csv, .csv.gz or .xlsx (first sheet, headers in row 1)."
        )
        parser.add_argument(
            "--mapping",
            metavar="FILE",
            help="A JSON column mapping: "
            '{"columns": {"Sheet column": "field"}, "defaults": {"field": value}}. '
            f"Fields: {', '.join(MAPPING_FIELDS)}.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Run the whole import, then roll it back.")
        parser.add_argument(
            "--rejects",
            metavar="PATH",
            help="Where to write the rejected rows as CSV (default: <input stem>.rejected.csv here).",
        )

    def handle(self, *args, path, mapping=None, dry_run=False, rejects=None, **options):
        source = Path(path)
        rejects_path = Path(rejects) if rejects else default_rejects_path(source)
        try:
            mapping_data = mapping_load(mapping) if mapping else None
            result = inventory_import(
                source, mapping=mapping_data, dry_run=dry_run, rejects_path=rejects_path
            )
        except ImportFileError as exc:
            raise CommandError(str(exc), returncode=2) from None
        line = result.summary()
        if result.dry_run:
            line += " (dry run: nothing written)"
        if result.rejects_path:
            line += f"; rejected rows: {result.rejects_path}"
        self.stdout.write(line)
        if result.duplicate_keys:
            self.stderr.write(
                f"note: {len(result.duplicate_keys)} id(s) appear more than once in their agency or team "
                f"and were given fallback keys: {', '.join(result.duplicate_keys)}"
            )
