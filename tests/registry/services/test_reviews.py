"""The review workflow: every state × action × role, expiry, material changes, broken
conditions, history and notifications."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from registry.choices import REVIEW_TRANSITIONS, DataClassification, ReviewState, ReviewStatus
from registry.exceptions import TransitionNotAllowed
from registry.models import HistoryEntry, Notification, SecurityReview
from registry.services import reviews as svc
from registry.services.registration import (
    DataAccessInput,
    NewDataSource,
    RegistrationLinks,
    VendorChoice,
    use_case_edit,
)
from registry.services.sweeps import review_expiry_sweep
from tests.factories import MembershipFactory, UseCaseFactory, UserFactory, VendorFactory, VendorUseFactory

PASS_ALL = dict.fromkeys(svc.CHECKLIST, "pass")


def person(group=None, **kwargs):
    user = UserFactory(**kwargs)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def cast(db):
    builder = person("builder")
    use_case = UseCaseFactory(owner=builder, risk_tier="high")
    MembershipFactory(user=builder, team=use_case.team)
    use_case.builders.add(builder)
    VendorUseFactory(use_case=use_case, vendor=VendorFactory())
    return {
        "use_case": use_case,
        "builder": builder,
        "reviewer": person("security reviewer", email="rey@example.com"),
        "other_reviewer": person("security reviewer"),
        "staff": person("staff"),
        "responder": person("incident responder"),
    }


def review_in(state, use_case, reviewer=None):
    return SecurityReview.objects.create(
        use_case=use_case,
        state=state,
        requested_at=timezone.now() - dt.timedelta(days=3),
        reviewer=reviewer,
        decided_at=timezone.now() if state in (ReviewState.APPROVED, ReviewState.REJECTED) else None,
        expires_at=timezone.now() + dt.timedelta(days=100) if state == ReviewState.APPROVED else None,
    )


def run(action, review, actor):
    if action == "claim":
        return svc.review_claim(review=review, actor=actor)
    if action == "unclaim":
        return svc.review_unclaim(review=review, actor=actor)
    if action == "approve":
        return svc.review_approve(review=review, actor=actor, checklist=PASS_ALL)
    if action == "request_changes":
        return svc.review_request_changes(review=review, actor=actor, findings="rotate the key")
    if action == "reject":
        return svc.review_reject(review=review, actor=actor, findings="no")
    if action == "resubmit":
        return svc.review_resubmit(review=review, actor=actor)
    raise AssertionError(action)


ACTIONS = ["claim", "unclaim", "approve", "request_changes", "reject", "resubmit"]
#: Who may make each action (on a state it may start from).
ALLOWED_ROLE = {
    "claim": "reviewer",
    "unclaim": "reviewer",
    "approve": "reviewer",
    "request_changes": "reviewer",
    "reject": "reviewer",
    "resubmit": "builder",
}
STATES = [s for s in ReviewState.values if s != ReviewState.EXPIRED] + [ReviewState.EXPIRED]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ["builder", "reviewer", "staff", "responder"])
def test_every_state_action_and_role(cast, state, action, role):
    use_case = cast["use_case"]
    # An in-review review is claimed by the acting reviewer (so unclaim is theirs to make).
    review = review_in(state, use_case, reviewer=cast["reviewer"] if state == ReviewState.IN_REVIEW else None)
    actor = cast[role]
    allowed_from, target = REVIEW_TRANSITIONS[action]
    entries_before = HistoryEntry.objects.count()

    legal_state = state in allowed_from
    legal_role = role == ALLOWED_ROLE[action]
    if legal_state and legal_role:
        result = run(action, review, actor)
        assert result.state == target
        use_case.refresh_from_db()
        assert use_case.review_status == ReviewStatus(target)
        # Exactly one history entry, with the state change.
        entry = HistoryEntry.objects.exclude(pk__lte=entries_before).get()
        assert entry.changes["state"] == [state, target] and entry.actor == actor
    else:
        # An illegal state answers with the current state; a role that may not, PermissionDenied.
        with pytest.raises((TransitionNotAllowed, PermissionDenied)) as error:
            run(action, review, actor)
        if not legal_state:
            assert isinstance(error.value, TransitionNotAllowed) and error.value.state == state
        else:
            assert isinstance(error.value, PermissionDenied)
        review.refresh_from_db()
        assert review.state == state
        assert HistoryEntry.objects.count() == entries_before


def test_nobody_reviews_their_own_use_case(cast):
    cast["builder"].groups.add(Group.objects.get(name="security reviewer"))
    review = review_in(ReviewState.REQUESTED, cast["use_case"])
    with pytest.raises(PermissionDenied, match="another reviewer"):
        svc.review_claim(review=review, actor=cast["builder"])


def test_approval_expiry_follows_the_tier_and_the_sweep_expires_it(cast, settings):
    settings.REVIEW_EXPIRY_DAYS = {"critical": 90, "high": 180, "medium": 365, "low": 730}
    review = review_in(ReviewState.REQUESTED, cast["use_case"])
    approved = svc.review_approve(review=review, actor=cast["reviewer"], checklist=PASS_ALL)
    assert (approved.expires_at - approved.decided_at).days == 180
    mail.outbox.clear()

    # Move the clock past expiry and sweep: expired, and the owner is emailed.
    with transaction.atomic():
        result = review_expiry_sweep(now=approved.expires_at + dt.timedelta(seconds=1))
    assert result.done == 1
    approved.refresh_from_db()
    cast["use_case"].refresh_from_db()
    assert approved.state == ReviewState.EXPIRED
    assert cast["use_case"].review_status == ReviewStatus.EXPIRED
    expired_mail = Notification.objects.get(kind=Notification.Kind.REVIEW_EXPIRED)
    assert expired_mail.to_email == cast["builder"].email


def test_material_change_and_broken_condition_reopen_the_review(cast):
    use_case = cast["use_case"]
    review = review_in(ReviewState.REQUESTED, use_case)
    svc.review_approve(
        review=review, actor=cast["reviewer"], checklist=PASS_ALL, conditions=["no_personal_data"]
    )
    use_case.refresh_from_db()
    assert use_case.review_status == ReviewStatus.APPROVED

    # Changing the description is not material: still approved.
    use_case_edit(actor=cast["builder"], use_case=use_case, fields={"description": "now with examples"})
    use_case.refresh_from_db()
    assert use_case.review_status == ReviewStatus.APPROVED

    # Adding a personal-data source is material and breaks "non-personal data only".
    links = RegistrationLinks(
        data_accesses=[
            DataAccessInput(
                new_source=NewDataSource(
                    name="CRM", classification=DataClassification.CONFIDENTIAL, has_personal_data=True
                )
            )
        ]
    )
    use_case_edit(actor=cast["builder"], use_case=use_case, fields={}, links=links)
    use_case.refresh_from_db()
    assert use_case.review_status == ReviewStatus.REQUESTED
    reopened = use_case.reviews.get(state=ReviewState.REQUESTED)
    assert "a new data source" in reopened.request_note
    assert "approved for non-personal data only" in reopened.request_note
    assert Notification.objects.filter(kind=Notification.Kind.REVIEW_REOPENED, use_case=use_case).exists()


def test_a_new_vendor_on_an_approved_use_case_is_material(cast):
    use_case = cast["use_case"]
    svc.review_approve(
        review=review_in(ReviewState.REQUESTED, use_case), actor=cast["reviewer"], checklist=PASS_ALL
    )
    use_case_edit(
        actor=cast["builder"],
        use_case=use_case,
        fields={},
        links=RegistrationLinks(
            vendors=[VendorChoice(vendor=v) for v in use_case.vendors.all()]
            + [VendorChoice(new_vendor_name="Anthropic")]
        ),
    )
    assert use_case.reviews.filter(
        state=ReviewState.REQUESTED, request_note__contains="a new vendor"
    ).exists()


def test_decisions_need_findings_and_a_clean_checklist(cast):
    review = review_in(ReviewState.REQUESTED, cast["use_case"])
    with pytest.raises(ValidationError):
        svc.review_request_changes(review=review, actor=cast["reviewer"], findings=" ")
    with pytest.raises(ValidationError):
        svc.review_approve(
            review=review, actor=cast["reviewer"], checklist={**PASS_ALL, "vendor_terms": "fail"}
        )
    with pytest.raises(ValidationError):
        svc.review_approve(review=review, actor=cast["reviewer"], checklist={"bogus": "pass"})
    review.refresh_from_db()
    assert review.state == ReviewState.REQUESTED


def test_notifications_go_out_on_commit_and_not_on_rollback(cast, django_capture_on_commit_callbacks):
    review = review_in(ReviewState.REQUESTED, cast["use_case"])
    with pytest.raises(RuntimeError), transaction.atomic():
        svc.review_request_changes(review=review, actor=cast["reviewer"], findings="rotate the key")
        raise RuntimeError("roll back")
    assert not Notification.objects.exists() and not mail.outbox

    with django_capture_on_commit_callbacks(execute=True):
        svc.review_request_changes(review=review, actor=cast["reviewer"], findings="rotate the key")
    sent = Notification.objects.get()
    assert sent.sent_at is not None and sent.to_email == cast["builder"].email
    assert [m.subject for m in mail.outbox] == [f"Changes requested: {cast['use_case'].name}"]
    assert "rotate the key" in mail.outbox[0].body


def test_resubmit_notifies_reviewers_and_the_queue_orders_by_risk_then_age(cast):
    use_case = cast["use_case"]
    review = review_in(ReviewState.CHANGES_REQUESTED, use_case)
    svc.review_resubmit(review=review, actor=cast["builder"], note="key moved to the vault")
    assert set(Notification.objects.filter(kind="review_requested").values_list("to_email", flat=True)) == {
        cast["reviewer"].email,
        cast["other_reviewer"].email,
    }
    old_low = review_in(ReviewState.REQUESTED, UseCaseFactory(risk_tier="low"))
    old_low.requested_at = timezone.now() - dt.timedelta(days=30)
    old_low.save()
    new_critical = review_in(ReviewState.REQUESTED, UseCaseFactory(risk_tier="critical"))
    older_critical = review_in(ReviewState.REQUESTED, UseCaseFactory(risk_tier="critical"))
    older_critical.requested_at = timezone.now() - dt.timedelta(days=10)
    older_critical.save()
    order = list(svc.open_reviews_ordered().values_list("pk", flat=True))
    assert order == [older_critical.pk, new_critical.pk, review.pk, old_low.pk]


def test_a_risk_tier_that_rises_after_the_request_moves_the_review_up_the_queue(cast, settings):
    """The queue orders by the review's copy of the tier (an index serves it): a tier change
    through the risk service must reach open reviews, or a now-critical tool waits behind low ones."""
    settings.RISK_TIER_THRESHOLDS = {"critical": 4, "high": 3, "medium": 1}
    older_high = review_in(ReviewState.REQUESTED, UseCaseFactory(risk_tier="high"))
    older_high.requested_at = timezone.now() - dt.timedelta(days=5)
    older_high.save()
    rising = UseCaseFactory(risk_tier="low", exposure="internal", autonomy="assistive")
    review = review_in(ReviewState.REQUESTED, rising)
    assert list(svc.open_reviews_ordered().values_list("pk", flat=True)) == [older_high.pk, review.pk]

    rising.exposure, rising.autonomy = "public", "autonomous"  # 2 + 2 points: critical
    rising.save()
    from registry.services.risk import use_case_refresh_risk

    assert use_case_refresh_risk(use_case=rising).tier == "critical"
    review.refresh_from_db()
    assert review.risk_rank == 4
    assert list(svc.open_reviews_ordered().values_list("pk", flat=True)) == [review.pk, older_high.pk]


def test_self_attestation_for_low_tier_only_and_sampled_spot_checks(cast, settings):
    settings.SELF_ATTESTATION_SAMPLE_RATE = 1.0  # every one sampled
    low = UseCaseFactory(owner=cast["builder"], risk_tier="low", team=cast["use_case"].team)
    review = svc.review_self_attest(use_case=low, actor=cast["builder"], checklist=PASS_ALL)
    assert review.state == ReviewState.APPROVED and review.source == "self_attested" and review.spot_check
    assert review in svc.open_reviews_ordered()
    svc.review_spot_check(review=review, actor=cast["reviewer"], passed=True)
    assert review not in svc.open_reviews_ordered()

    with pytest.raises(PermissionDenied, match="need a security reviewer"):
        svc.review_self_attest(use_case=cast["use_case"], actor=cast["builder"], checklist=PASS_ALL)
    settings.REVIEW_SELF_ATTEST_TIERS = []  # a regulated company: every tier is reviewed
    other_low = UseCaseFactory(owner=cast["builder"], risk_tier="low", team=cast["use_case"].team)
    with pytest.raises(PermissionDenied):
        svc.review_self_attest(use_case=other_low, actor=cast["builder"], checklist=PASS_ALL)
