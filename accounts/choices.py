"""Choices of the accounts app: team kinds, membership roles and the registry's role groups."""

from django.db import models


class TeamKind(models.TextChoices):
    ORGANISATION = "organisation", "Organisation unit"
    DOMAIN = "domain", "Domain team"
    CENTRAL = "central", "Central team"


class MembershipRole(models.TextChoices):
    MEMBER = "member", "Member"
    LEAD = "lead", "Lead"


class RoleGroup(models.TextChoices):
    """The registry-wide roles of DESIGN.md ("The people and their jobs"), held as auth groups.

    Team lead is not a group: it is a per-team membership role (``MembershipRole.LEAD``).
    """

    BUILDER = "builder", "Builder"
    SECURITY_REVIEWER = "security reviewer", "Security reviewer"
    LIBRARY_CURATOR = "library curator", "Library curator"
    INCIDENT_RESPONDER = "incident responder", "Incident responder"
    STAFF = "staff", "Staff"
