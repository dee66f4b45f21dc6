"""``manage.py sweep_credential_rotation``: the daily rotation sweep, for operators without beat."""

from django.core.management.base import BaseCommand

from registry.services.sweeps import credential_rotation_sweep


class Command(BaseCommand):
    help = "Tell holders of credentials not rotated for 90 days or expiring within 14 days."

    def handle(self, *args, **options):
        result = credential_rotation_sweep()
        self.stdout.write(f"credentials due {result.done}, notifications {result.notified}")
