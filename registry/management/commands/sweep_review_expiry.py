"""``manage.py sweep_review_expiry``: the daily expiry sweep, for operators without beat."""

from django.core.management.base import BaseCommand

from registry.services.sweeps import review_expiry_sweep


class Command(BaseCommand):
    help = "Expire approvals past their expiry (owners are emailed) and warn of those expiring soon."

    def handle(self, *args, **options):
        result = review_expiry_sweep()
        self.stdout.write(f"expired {result.done}, expiry warnings {result.notified}")
