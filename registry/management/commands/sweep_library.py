"""``manage.py sweep_library``: the shared library's sweep, for operators without beat."""

from django.core.management.base import BaseCommand

from registry.services.library import library_sweep


class Command(BaseCommand):
    help = (
        "Flag library entries whose approval lapsed, whose owner left or whose use case is suspended "
        "(curators are emailed), clear the flags of fixed ones, and unlist entries still flagged after "
        "LIBRARY_UNLIST_AFTER_DAYS days."
    )

    def handle(self, *args, **options):
        result = library_sweep()
        self.stdout.write(f"flagged {result.flagged}, cleared {result.cleared}, unlisted {result.unlisted}")
