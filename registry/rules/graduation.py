"""The shared library's graduation criteria, computed (never ticked by hand).

A use case graduates to the shared library when it meets every criterion (DESIGN.md,
"Library entry"; issue 6):

1. ``production``: its lifecycle stage is production;
2. ``approved``: its latest security review is approved, not expired, and the approval's
   conditions are still met;
3. ``owners``: it has an active owner and an active backup owner, and its ownership is not
   flagged (a flagged ownership also blocks approval and promotion: ``ownership_blockers``);
4. ``documentation``: a documentation or runbook link is recorded;
5. ``credentials``: no credential it uses is stored in an unsafe place
   (``registry.choices.UNSAFE_CREDENTIAL_STORAGE``);
6. ``usage``: at least ``LIBRARY_MIN_ACTIVE_USERS`` active users or
   ``LIBRARY_MIN_HOURS_SAVED_PER_WEEK`` hours saved a week in its latest monthly usage report,
   or, when it has no report, in the figures registered on the use case.

This module is pure: it takes ``GraduationFacts`` and returns each criterion met or not with
the reason in words. ``registry.selectors.library`` builds the facts, from one loaded use case
(its page) or from SQL annotations (the candidates page, the library sweep), so a list never
evaluates thousands of use cases in Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from ..choices import Exposure, LifecycleStage, ReviewState

#: Weeks in an average month (52 / 12): a monthly report's hours saved divided by this are
#: hours saved a week.
WEEKS_PER_MONTH = Decimal(52) / Decimal(12)

#: The criteria in the order pages show them: key -> label.
CRITERIA = {
    "production": "In production",
    "approved": "Approved security review, not expired, conditions met",
    "owners": "Owner and backup owner active",
    "documentation": "Documentation or runbook",
    "credentials": "No credential stored in an unsafe place",
    "usage": "Enough users or hours saved",
}

#: Conditions a reviewer can attach to an approval (``registry.services.reviews.CONDITIONS``),
#: and how each is checked from the facts. Kept in step with
#: ``registry.services.reviews.conditions_breached`` by a test.
CONDITION_LABELS = {
    "no_personal_data": "approved for non-personal data only",
    "internal_only": "internal use only",
    "read_only": "read-only access to data sources",
}


@dataclass(frozen=True)
class PersonFact:
    """An owner or backup owner as the rule sees them."""

    name: str
    is_active: bool


@dataclass(frozen=True)
class UsageFact:
    """The usage figures the ``usage`` criterion reads.

    Attributes:
        source: ``"report"`` (the latest monthly usage report) or ``"registry"`` (the figures
            on the use case, when it has no report).
        period: the report's month (its first day); ``None`` for the registry's figures.
        active_users: active users (a report) or users (the registry); ``None``: unknown.
        hours_saved_per_week: hours saved a week (a report's monthly hours / ``WEEKS_PER_MONTH``).
    """

    source: str
    period: dt.date | None = None
    active_users: int | None = None
    hours_saved_per_week: Decimal | None = None


@dataclass(frozen=True)
class GraduationFacts:
    """What the criteria read about one use case.

    ``reads_sensitive_data``: some data source it touches holds personal or customer data or
    is restricted; ``writes_data``: some access is not read-only. ``unsafe_credentials`` counts
    the credentials it uses that are stored in an unsafe place (the rule never names them: who
    may read where a credential lives is decided by ``accounts.permissions``).
    """

    lifecycle_stage: str = ""
    is_suspended: bool = False
    review_state: str | None = None
    review_expires_at: dt.datetime | None = None
    review_conditions: tuple[str, ...] = ()
    handles_personal_data: bool = False
    exposure: str = Exposure.INTERNAL
    reads_sensitive_data: bool = False
    writes_data: bool = False
    owner: PersonFact | None = None
    backup_owner: PersonFact | None = None
    ownership_note: str = ""
    documentation_url: str = ""
    unsafe_credentials: int = 0
    usage: UsageFact | None = None


@dataclass(frozen=True)
class Criterion:
    """One criterion: its key (``CRITERIA``), label, whether it is met, and why, in words."""

    key: str
    label: str
    met: bool
    why: str

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "met": self.met, "why": self.why}


@dataclass(frozen=True)
class GraduationAssessment:
    """Every criterion, in ``CRITERIA`` order."""

    criteria: tuple[Criterion, ...]

    @property
    def eligible(self) -> bool:
        return all(c.met for c in self.criteria)

    @property
    def unmet(self) -> list[Criterion]:
        return [c for c in self.criteria if not c.met]

    @property
    def met(self) -> list[Criterion]:
        return [c for c in self.criteria if c.met]

    def get(self, key: str) -> Criterion:
        return next(c for c in self.criteria if c.key == key)


def conditions_unmet(facts: GraduationFacts) -> list[str]:
    """Which of the latest approval's conditions the use case no longer meets, in words.

    The same rule as ``registry.services.reviews.conditions_breached``, on facts instead of a
    loaded use case. Conditions written as free text are not checked (a reviewer's note).
    """
    broken = []
    conditions = set(facts.review_conditions)
    if "no_personal_data" in conditions and (facts.handles_personal_data or facts.reads_sensitive_data):
        broken.append(CONDITION_LABELS["no_personal_data"])
    if "internal_only" in conditions and facts.exposure != Exposure.INTERNAL:
        broken.append(CONDITION_LABELS["internal_only"])
    if "read_only" in conditions and facts.writes_data:
        broken.append(CONDITION_LABELS["read_only"])
    return broken


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _hours(value: Decimal | float | None) -> str:
    if value is None:
        return "unknown"
    value = Decimal(value).quantize(Decimal("0.1"))
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"


def _day(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%b %Y}"


def _production(facts: GraduationFacts) -> Criterion:
    met = facts.lifecycle_stage == LifecycleStage.PRODUCTION
    if met:
        why = "It is in production."
    elif facts.lifecycle_stage:
        why = f"It is at the {LifecycleStage(facts.lifecycle_stage).label.lower()} stage, not in production."
    else:
        why = "Its lifecycle stage is not reported."
    return Criterion("production", CRITERIA["production"], met, why)


def _approved(facts: GraduationFacts, now: dt.datetime) -> Criterion:
    label = CRITERIA["approved"]
    state = facts.review_state
    if state is None:
        return Criterion("approved", label, False, "It has never been reviewed.")
    if state != ReviewState.APPROVED:
        return Criterion(
            "approved",
            label,
            False,
            f"Its latest security review is {ReviewState(state).label.lower()}, not approved.",
        )
    expires = facts.review_expires_at
    if expires is not None and expires <= now:
        return Criterion("approved", label, False, f"Its approval expired on {_day(expires)}.")
    broken = conditions_unmet(facts)
    if broken:
        return Criterion(
            "approved",
            label,
            False,
            f"Approved, but a condition of the approval is no longer met: {'; '.join(broken)}.",
        )
    until = f" until {_day(expires)}" if expires is not None else ""
    known = [CONDITION_LABELS[c] for c in facts.review_conditions if c in CONDITION_LABELS]
    with_conditions = f"; its conditions are met ({'; '.join(known)})" if known else ""
    return Criterion("approved", label, True, f"Approved{until}{with_conditions}.")


def _owners(facts: GraduationFacts) -> Criterion:
    problems = []
    owner, backup = facts.owner, facts.backup_owner
    if owner is None:
        problems.append("it has no named owner")
    elif not owner.is_active:
        problems.append(f"its owner {owner.name} has left")
    if backup is None:
        problems.append("it has no backup owner")
    elif not backup.is_active:
        problems.append(f"its backup owner {backup.name} has left")
    if facts.ownership_note:
        problems.append(f"its ownership needs attention ({facts.ownership_note})")
    if problems:
        why = "; ".join(problems)
        return Criterion("owners", CRITERIA["owners"], False, why[0].upper() + why[1:] + ".")
    return Criterion(
        "owners",
        CRITERIA["owners"],
        True,
        f"Owner {owner.name} and backup owner {backup.name} are active.",
    )


def _documentation(facts: GraduationFacts) -> Criterion:
    if facts.documentation_url:
        return Criterion(
            "documentation", CRITERIA["documentation"], True, "A documentation link is recorded."
        )
    return Criterion(
        "documentation", CRITERIA["documentation"], False, "No documentation or runbook link is recorded."
    )


def _credentials(facts: GraduationFacts) -> Criterion:
    n = facts.unsafe_credentials
    if n:
        return Criterion(
            "credentials",
            CRITERIA["credentials"],
            False,
            f"{_plural(n, 'credential')} it uses {'is' if n == 1 else 'are'} stored in an unsafe place "
            "(a laptop's env file, a workflow's settings, hard-coded or unknown): move "
            f"{'it' if n == 1 else 'them'} to a secrets manager or a platform-managed connection.",
        )
    return Criterion(
        "credentials",
        CRITERIA["credentials"],
        True,
        "Every credential it uses is in a safe place (or it uses none).",
    )


def _usage(facts: GraduationFacts, min_users: int, min_hours: Decimal) -> Criterion:
    label = CRITERIA["usage"]
    need = f"it needs at least {_plural(min_users, 'active user')} or {_hours(min_hours)} hours saved a week"
    usage = facts.usage
    if usage is None or (usage.active_users is None and usage.hours_saved_per_week is None):
        return Criterion("usage", label, False, f"No usage report and no usage figures are recorded: {need}.")
    users, hours = usage.active_users, usage.hours_saved_per_week
    met = (users is not None and users >= min_users) or (hours is not None and hours >= min_hours)
    figures = (
        f"{_plural(users, 'active user') if users is not None else 'users unknown'}, "
        f"{_hours(hours)} hours saved a week"
    )
    if usage.source == "report":
        where = f"Latest usage report ({usage.period:%B %Y}): {figures}"
    else:
        where = f"No usage report yet; the figures registered on it: {figures}"
    return Criterion("usage", label, met, f"{where}." if met else f"{where}; {need}.")


def graduation_assess(
    facts: GraduationFacts,
    *,
    now: dt.datetime | None = None,
    min_users: int | None = None,
    min_hours_per_week: float | Decimal | None = None,
) -> GraduationAssessment:
    """Evaluate every graduation criterion.

    Args:
        facts: what the use case is (``registry.selectors.library`` builds them).
        now: the moment approvals are compared with (default: now).
        min_users, min_hours_per_week: thresholds (default: ``settings.LIBRARY_MIN_ACTIVE_USERS``
            and ``settings.LIBRARY_MIN_HOURS_SAVED_PER_WEEK``).

    Returns:
        A ``GraduationAssessment`` with one ``Criterion`` per key of ``CRITERIA``, in order.
    """
    now = now or timezone.now()
    min_users = settings.LIBRARY_MIN_ACTIVE_USERS if min_users is None else min_users
    min_hours = Decimal(
        str(settings.LIBRARY_MIN_HOURS_SAVED_PER_WEEK if min_hours_per_week is None else min_hours_per_week)
    )
    return GraduationAssessment(
        criteria=(
            _production(facts),
            _approved(facts, now),
            _owners(facts),
            _documentation(facts),
            _credentials(facts),
            _usage(facts, min_users, min_hours),
        )
    )


def weekly_hours(monthly_hours: Decimal | float | None) -> Decimal | None:
    """A monthly report's hours saved as hours a week (unrounded: pages round it), or None."""
    if monthly_hours is None:
        return None
    return Decimal(str(monthly_hours)) / WEEKS_PER_MONTH
