"""``python manage.py seed_demo [--force] [--skip-inventories]``: load the demo data."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from registry.demo import DEMO_ACCOUNTS, demo_seed


class Command(BaseCommand):
    help = (
        "Load the demo: OMB's 2025 individual and COTS inventories, a marketing-and-sales scenario and "
        "one account per role (password from DEMO_PASSWORD). Idempotent. Refuses when DEBUG is off "
        "unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")
        parser.add_argument(
            "--skip-inventories", action="store_true", help="Only the scenario and accounts (fast)."
        )

    def handle(self, *args, force, skip_inventories, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a shared password: refusing with DEBUG off (use --force).",
                returncode=2,
            )
        password = settings.DEMO_PASSWORD
        if not password:
            raise CommandError("set DEMO_PASSWORD to the demo accounts' password.", returncode=2)
        report = demo_seed(password=password, import_inventories=not skip_inventories)
        for name, summary in report.imports.items():
            self.stdout.write(f"{name}: {summary}")
        self.stdout.write(f"scenario: {report.scenario_changes} objects created or changed")
        self.stdout.write("demo accounts (password from DEMO_PASSWORD): " + ", ".join(DEMO_ACCOUNTS))
