"""``manage.py deliver_notifications``: send what is pending in the outbox (e.g. after a broker outage)."""

from django.core.management.base import BaseCommand

from registry.services.notifications import notifications_deliver_pending


class Command(BaseCommand):
    help = "Send the notifications still pending in the outbox."

    def handle(self, *args, **options):
        self.stdout.write(f"sent {notifications_deliver_pending()}")
