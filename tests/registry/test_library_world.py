"""Shared setup of the shared-library tests (no tests here): people with roles and use cases
that graduate, or miss one criterion on purpose."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.choices import MembershipRole
from registry.choices import (
    AccessMode,
    CredentialStorage,
    DataClassification,
    LifecycleStage,
    ReviewSource,
    ReviewState,
    ReviewStatus,
)
from registry.models import LibraryEntry, SecurityReview, UsageReport
from tests.factories import (
    CredentialFactory,
    CredentialUseFactory,
    DataAccessFactory,
    DataSourceFactory,
    MembershipFactory,
    TeamFactory,
    UseCaseFactory,
    UserFactory,
    VendorFactory,
    VendorUseFactory,
)


def person(group=None, *, team=None, role=MembershipRole.MEMBER, **kwargs):
    """A user with a role group and, optionally, a team membership."""
    user = UserFactory(**kwargs)
    if group:
        user.groups.add(Group.objects.get(name=group))
    if team is not None:
        MembershipFactory(user=user, team=team, role=role)
    return user


def approve(use_case, *, conditions=(), expires_in_days=300, source=ReviewSource.REGISTRY, when=None):
    """An approved review (the latest one) and the derived review status."""
    when = when or timezone.now() - dt.timedelta(days=5)
    review = SecurityReview.objects.create(
        use_case=use_case,
        source=source,
        state=ReviewState.APPROVED,
        requested_at=when - dt.timedelta(days=2),
        decided_at=when,
        expires_at=None if expires_in_days is None else timezone.now() + dt.timedelta(days=expires_in_days),
        conditions=list(conditions),
    )
    use_case.review_status = ReviewStatus.APPROVED
    use_case.save(update_fields=["review_status"])
    return review


def graduate(*, team=None, owner=None, backup=None, name=None, users=12, hours=None, conditions=(), **fields):
    """A use case meeting every graduation criterion: production, approved (not expired),
    active owner and backup (builders of its team), documentation, no credential, ``users``
    users registered."""
    team = team or TeamFactory()
    owner = owner or person("builder", team=team)
    backup = backup or person("builder", team=team)
    values = {
        "team": team,
        "owner": owner,
        "backup_owner": backup,
        "lifecycle_stage": LifecycleStage.PRODUCTION,
        "documentation_url": "https://docs.example.com/tool",
        "users_count": users,
        "hours_saved_per_week": hours,
        "platform": "ChatGPT Enterprise",
        **fields,
    }
    if name:
        values["name"] = name
    use_case = UseCaseFactory(**values)
    use_case.builders.add(owner)
    VendorUseFactory(use_case=use_case, vendor=VendorFactory())
    approve(use_case, conditions=conditions)
    return use_case


def unsafe_credential(use_case):
    return CredentialUseFactory(
        use_case=use_case, credential=CredentialFactory(storage=CredentialStorage.LAPTOP_ENV_FILE)
    )


def personal_data_access(use_case, access=AccessMode.READ):
    source = DataSourceFactory(classification=DataClassification.CONFIDENTIAL, has_personal_data=True)
    return DataAccessFactory(use_case=use_case, data_source=source, access=access)


def report(use_case, period, *, users=0, runs=0, hours="0", cost="0"):
    return UsageReport.objects.create(
        use_case=use_case,
        period=period,
        active_users=users,
        runs=runs,
        hours_saved=Decimal(hours),
        cost=Decimal(cost),
    )


def listed(use_case, *, category="Research", summary="Reuse it for research.", **values):
    """A listed library entry for ``use_case`` (written directly: the setup of a test)."""
    return LibraryEntry.objects.create(
        use_case=use_case,
        reuse_summary=summary,
        how_to_adopt="1. Ask the owner.",
        category=category,
        **values,
    )
