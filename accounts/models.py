"""People, teams and team membership."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from .choices import MembershipRole, TeamKind


class User(AbstractUser):
    """A person with an account. Deactivating (``is_active=False``) is how someone leaves."""

    title = models.CharField("job title", max_length=200, blank=True)
    phone = models.CharField(max_length=50, blank=True, help_text="Contact number for incidents.")

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        indexes = [models.Index(Lower("email"), name="accounts_user_email_lower")]

    def __str__(self):
        return self.get_full_name() or self.username


class Team(models.Model):
    """A domain team (Marketing, a federal bureau), an organisation unit above teams
    (a federal agency) or the central team. ``parent`` nests a bureau under its agency."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True, help_text="Used in the team's URL.")
    kind = models.CharField(max_length=20, choices=TeamKind.choices, default=TeamKind.DOMAIN)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The organisation unit this team belongs to (an agency above its bureaus).",
    )
    abbreviation = models.CharField(max_length=50, blank=True)
    description = models.TextField(blank=True)
    email = models.EmailField("team mailbox", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "parent",
                Lower("name"),
                name="accounts_team_unique_name_in_parent",
                violation_error_message="A team with this name already exists here.",
            ),
            models.UniqueConstraint(
                Lower("name"),
                condition=models.Q(parent__isnull=True),
                name="accounts_team_unique_top_level_name",
                violation_error_message="A top-level team with this name already exists.",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def full_name(self):
        """``Agency / Bureau`` for a nested team, the name alone otherwise."""
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name


class Membership(models.Model):
    """A person's membership of a team, as a member or as the team's lead."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=MembershipRole.choices, default=MembershipRole.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "team"],
                name="accounts_membership_unique_user_team",
                violation_error_message="This person is already a member of this team.",
            )
        ]

    def __str__(self):
        return f"{self.user} in {self.team} ({self.get_role_display()})"


class ApiToken(models.Model):
    """A personal API token: what a script sends as ``Authorization: Token <key>``.

    Only the SHA-256 of the key is kept (the key is random, so no salt or slow hash is needed);
    the key itself is shown once, when the token is created (``accounts.tokens``). The prefix
    lets a person tell their tokens apart, and recognise one found in a log or a repository.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “nightly export script”.")
    key_hash = models.CharField("key hash", max_length=64, help_text="SHA-256 of the key, in hex.")
    prefix = models.CharField(max_length=16, help_text="The key's first characters, to recognise it.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(
        "last used", null=True, blank=True, help_text="Updated at most once a minute."
    )
    revoked_at = models.DateTimeField("revoked", null=True, blank=True)
    expires_at = models.DateTimeField("expires", null=True, blank=True, help_text="Empty: never expires.")

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key_hash"],
                name="accounts_apitoken_unique_key_hash",
                violation_error_message="This key is already in use.",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def state(self):
        """``"revoked"``, ``"expired"`` or ``"active"`` (as of now)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        return "active"
