"""``manage.py send_lead_digests``: the weekly digest to team leads, for operators without beat."""

from django.core.management.base import BaseCommand

from registry.services.sweeps import lead_digests_send


class Command(BaseCommand):
    help = "Email each team lead what needs attention in their teams' use cases."

    def handle(self, *args, **options):
        self.stdout.write(f"digests {lead_digests_send()}")
