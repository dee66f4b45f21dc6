"""``python manage.py seed_scale --use-cases 100000``: a realistic registry for benchmarks."""

import time

from django.core.management.base import BaseCommand, CommandError

from registry.scale import scale_seed


class Command(BaseCommand):
    help = (
        "Fill an EMPTY database with a realistic registry: ~300 teams, up to 5,000 people, 2,000 credentials "
        "(one used by 1,000 use cases), 500 data sources, 1,000 vendor models, connections, reviews in every "
        "state, library entries and usage reports, with texts from OMB's 2025 inventory. Refuses when use "
        "cases exist."
    )

    def add_arguments(self, parser):
        parser.add_argument("--use-cases", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (same seed, same registry).")

    def handle(self, *args, use_cases, seed, **options):
        if use_cases < 1:
            raise CommandError("--use-cases must be at least 1.", returncode=2)
        started = time.monotonic()
        try:
            report = scale_seed(use_cases=use_cases, seed=seed, out=lambda m: self.stderr.write(f"  {m}"))
        except ValueError as error:
            raise CommandError(str(error), returncode=2) from None
        self.stdout.write(
            f"seeded in {time.monotonic() - started:.0f} s: "
            + ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in vars(report).items())
        )
