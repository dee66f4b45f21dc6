"""The graduation criteria: each on its own, all together, computed the same way from one
loaded use case (its page) and from SQL annotations (lists), and the approval's conditions
checked exactly as the review workflow checks them."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from registry.choices import AccessMode, Exposure, LifecycleStage, ReviewState
from registry.models import UseCase
from registry.rules.graduation import (
    CRITERIA,
    GraduationFacts,
    PersonFact,
    UsageFact,
    conditions_unmet,
    graduation_assess,
)
from registry.selectors.library import (
    assess_annotated,
    graduation_annotate,
    use_case_graduation,
)
from registry.selectors.use_cases import use_case_detail
from registry.services.reviews import CONDITIONS, conditions_breached
from tests.factories import SecurityReviewFactory, UserFactory

from .test_library_world import approve, graduate, personal_data_access, report, unsafe_credential

NOW = timezone.make_aware(dt.datetime(2026, 11, 22, 12, 0))

#: Facts meeting every criterion.
GOOD = GraduationFacts(
    lifecycle_stage=LifecycleStage.PRODUCTION,
    review_state=ReviewState.APPROVED,
    review_expires_at=NOW + dt.timedelta(days=100),
    review_conditions=("no_personal_data",),
    owner=PersonFact("Bea Builder", True),
    backup_owner=PersonFact("Lee Lead", True),
    documentation_url="https://docs.example.com",
    usage=UsageFact(
        source="report", period=dt.date(2026, 10, 1), active_users=24, hours_saved_per_week=Decimal(30)
    ),
)


def assess(facts):
    return graduation_assess(facts, now=NOW, min_users=5, min_hours_per_week=10)


def test_all_met_is_eligible_and_says_why_for_each():
    result = assess(GOOD)
    assert result.eligible
    assert [c.key for c in result.criteria] == list(CRITERIA)
    whys = {c.key: c.why for c in result.criteria}
    assert whys["approved"].startswith("Approved until 2 Mar 2027")
    assert "approved for non-personal data only" in whys["approved"]
    assert whys["owners"] == "Owner Bea Builder and backup owner Lee Lead are active."
    assert whys["usage"] == "Latest usage report (October 2026): 24 active users, 30 hours saved a week."


ONE_MISSING = [
    ("production", {"lifecycle_stage": LifecycleStage.PILOT}, "It is at the pilot stage, not in production."),
    ("production", {"lifecycle_stage": ""}, "Its lifecycle stage is not reported."),
    ("approved", {"review_state": None}, "It has never been reviewed."),
    (
        "approved",
        {"review_state": ReviewState.REQUESTED},
        "Its latest security review is requested, not approved.",
    ),
    (
        "approved",
        {"review_state": ReviewState.EXPIRED},
        "Its latest security review is expired, not approved.",
    ),
    (
        "approved",
        {"review_expires_at": NOW - dt.timedelta(days=1)},
        "Its approval expired on 21 Nov 2026.",
    ),
    (
        "approved",
        {"handles_personal_data": True},
        "Approved, but a condition of the approval is no longer met: approved for non-personal data only.",
    ),
    (
        "approved",
        {"reads_sensitive_data": True},
        "Approved, but a condition of the approval is no longer met: approved for non-personal data only.",
    ),
    ("owners", {"owner": None}, "It has no named owner."),
    ("owners", {"owner": PersonFact("Bea Builder", False)}, "Its owner Bea Builder has left."),
    ("owners", {"backup_owner": None}, "It has no backup owner."),
    ("owners", {"backup_owner": PersonFact("Lee Lead", False)}, "Its backup owner Lee Lead has left."),
    ("owners", {"ownership_note": "its owner left"}, "Its ownership needs attention (its owner left)."),
    ("documentation", {"documentation_url": ""}, "No documentation or runbook link is recorded."),
    ("credentials", {"unsafe_credentials": 1}, "1 credential it uses is stored in an unsafe place"),
    ("credentials", {"unsafe_credentials": 2}, "2 credentials it uses are stored in an unsafe place"),
    (
        "usage",
        {"usage": UsageFact("report", dt.date(2026, 10, 1), 3, Decimal("4.2"))},
        "Latest usage report (October 2026): 3 active users, 4.2 hours saved a week; it needs at least "
        "5 active users or 10 hours saved a week.",
    ),
    (
        "usage",
        {"usage": UsageFact("registry", None, 2, None)},
        "No usage report yet; the figures registered on it: 2 active users, unknown hours saved a week; "
        "it needs",
    ),
    ("usage", {"usage": None}, "No usage report and no usage figures are recorded"),
]


@pytest.mark.parametrize(("key", "change", "why"), ONE_MISSING)
def test_each_criterion_on_its_own(key, change, why):
    result = assess(dataclasses.replace(GOOD, **change))
    assert [c.key for c in result.unmet] == [key]
    assert result.get(key).why.startswith(why)
    assert not result.eligible


@pytest.mark.parametrize(
    "usage",
    [
        UsageFact("report", dt.date(2026, 10, 1), 5, Decimal(0)),  # users alone, at the threshold
        UsageFact("report", dt.date(2026, 10, 1), 0, Decimal(10)),  # hours alone, at the threshold
        UsageFact("registry", None, None, Decimal(12)),  # registered hours, users unknown
    ],
)
def test_usage_is_met_by_users_or_hours(usage):
    assert assess(dataclasses.replace(GOOD, usage=usage)).get("usage").met


def test_several_missing_together():
    facts = dataclasses.replace(GOOD, lifecycle_stage=LifecycleStage.PILOT, documentation_url="", owner=None)
    result = assess(facts)
    assert [c.key for c in result.unmet] == ["production", "owners", "documentation"]
    assert len(result.met) == 3


def test_an_approval_without_expiry_is_approved():
    # Imported authorities to operate carry no expiry.
    assert assess(dataclasses.replace(GOOD, review_expires_at=None)).get("approved").met


def test_free_text_conditions_are_not_checked():
    facts = dataclasses.replace(GOOD, review_conditions=("only for the pilot team",), writes_data=True)
    assert assess(facts).get("approved").met


# --- the same rule from the database ---------------------------------------------------------


@pytest.fixture
def variants(db):
    """A use case per way of missing a criterion (and one meeting all), built in the database."""
    ok = graduate(name="all met", conditions=["no_personal_data"])
    pilot = graduate(name="pilot", lifecycle_stage=LifecycleStage.PILOT)
    never = graduate(name="never reviewed")
    never.reviews.all().delete()
    requested = graduate(name="reopened")
    SecurityReviewFactory(use_case=requested, state=ReviewState.REQUESTED, requested_at=timezone.now())
    expired = graduate(name="expired")
    expired.reviews.update(expires_at=timezone.now() - dt.timedelta(hours=1))
    breached = graduate(name="condition breached", conditions=["no_personal_data", "read_only"])
    personal_data_access(breached, access=AccessMode.READ_WRITE)
    left = graduate(name="owner left")
    left.owner.is_active = False
    left.owner.save()
    no_backup = graduate(name="no backup")
    UseCase.objects.filter(pk=no_backup.pk).update(backup_owner=None)
    flagged = graduate(name="ownership flagged", ownership_note="its owner left")
    no_docs = graduate(name="no docs", documentation_url="")
    unsafe = graduate(name="unsafe credential")
    unsafe_credential(unsafe)
    few = graduate(name="few users", users=2)
    hours = graduate(name="hours only", users=1, hours=Decimal(11))
    low_report = graduate(name="low report", users=50)
    report(low_report, dt.date(2026, 10, 1), users=3, hours="20")
    good_report = graduate(name="good report", users=0)
    report(good_report, dt.date(2026, 9, 1), users=1, hours="1")
    report(good_report, dt.date(2026, 10, 1), users=2, hours="44")  # 44 h a month = 10.2 a week
    ato = graduate(name="ATO without expiry")
    ato.reviews.update(expires_at=None)
    return {
        "all met": (ok, []),
        "pilot": (pilot, ["production"]),
        "never reviewed": (never, ["approved"]),
        "reopened": (requested, ["approved"]),
        "expired": (expired, ["approved"]),
        "condition breached": (breached, ["approved"]),
        "owner left": (left, ["owners"]),
        "no backup": (no_backup, ["owners"]),
        "ownership flagged": (flagged, ["owners"]),
        "no docs": (no_docs, ["documentation"]),
        "unsafe credential": (unsafe, ["credentials"]),
        "few users": (few, ["usage"]),
        "hours only": (hours, []),
        "low report": (low_report, ["usage"]),
        "good report": (good_report, []),
        "ATO without expiry": (ato, []),
    }


def test_each_criterion_from_a_loaded_use_case(variants):
    viewer = UserFactory(is_superuser=True)
    for name, (use_case, missing) in variants.items():
        loaded = use_case_detail(user=viewer, pk=use_case.pk)
        result = use_case_graduation(loaded)
        assert [c.key for c in result.unmet] == missing, name


def test_sql_annotations_agree_with_the_loaded_use_case(variants):
    """The candidates page and the sweep (SQL) reach exactly the page's verdicts and reasons,
    and each SQL miss flag matches the rule (the approval's conditions excepted: JSON)."""
    viewer = UserFactory(is_superuser=True)
    ids = [uc.pk for uc, _ in variants.values()]
    rows = list(
        graduation_annotate(UseCase.objects.filter(pk__in=ids)).select_related("owner", "backup_owner")
    )
    for use_case, from_sql in assess_annotated(rows):
        from_page = use_case_graduation(use_case_detail(user=viewer, pk=use_case.pk))
        assert from_sql.criteria == from_page.criteria, use_case.name
        for criterion in from_page.criteria:
            flag = getattr(use_case, f"m_{criterion.key}")
            if criterion.key == "approved" and use_case.name == "condition breached":
                assert flag == 0  # the conditions are the Python rule's last word
            else:
                assert flag == (0 if criterion.met else 1), (use_case.name, criterion.key)


@pytest.mark.django_db
@pytest.mark.parametrize("personal", [False, True])
@pytest.mark.parametrize("exposure", [Exposure.INTERNAL, Exposure.PUBLIC])
@pytest.mark.parametrize("access", [None, AccessMode.READ, AccessMode.WRITE])
def test_conditions_are_checked_as_the_review_workflow_checks_them(personal, exposure, access):
    use_case = graduate(handles_personal_data=personal, exposure=exposure)
    if access:
        personal_data_access(use_case, access=access)
    conditions = list(CONDITIONS)
    approve(use_case, conditions=conditions)
    loaded = use_case_detail(user=UserFactory(is_superuser=True), pk=use_case.pk)
    from registry.selectors.library import graduation_facts_for

    assert conditions_unmet(graduation_facts_for(loaded)) == conditions_breached(use_case, conditions)
