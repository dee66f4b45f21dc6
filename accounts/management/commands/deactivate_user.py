"""``manage.py deactivate_user USERNAME``: offboard a person from the command line."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import user_deactivate


class Command(BaseCommand):
    help = (
        "Offboard a person: deactivate their account, make backup owners the owners of their use "
        "cases or flag them, and notify the team leads (after commit). Prints one summary line."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The person's username (exact).")

    def handle(self, *args, username, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No person has the username “{username}”.", returncode=2) from None
        result = user_deactivate(user=user, actor=None)
        self.stdout.write(f"{user.username}: {result.summary()}")
