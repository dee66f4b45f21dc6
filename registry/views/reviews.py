"""The security team's pages: the review queue and the decision page."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts.models import Team
from accounts.permissions import can_decide_reviews, standing_of

from ..choices import OPEN_REVIEW_STATES, RISK_TIER_RANK, ReviewState, RiskTier
from ..exceptions import ApprovalBlocked, TransitionNotAllowed
from ..models import HistoryEntry, SecurityReview
from ..selectors.use_cases import use_case_detail
from ..services import reviews as review_services
from .catalog import paginate


def _may_see_queue(user) -> bool:
    # Reviewers work the queue; responders and admins read everything.
    return standing_of(user).reads_everything


class ReviewQueueView(LoginRequiredMixin, TemplateView):
    """``/reviews/``: every open review, riskiest then oldest first, with due dates and filters."""

    template_name = "registry/review_queue.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        if not _may_see_queue(user):
            raise Http404("No such page.")
        params = self.request.GET
        base = SecurityReview.objects.select_related(
            "use_case", "use_case__team", "use_case__team__parent", "use_case__owner", "reviewer"
        )
        queue = review_services.open_reviews_ordered(base)
        # One grouped count, read from the queue's partial index (it includes the state).
        counts = (
            {"total": 0}
            | {f"tier_{t}": 0 for t in RiskTier.values}
            | {f"state_{s}": 0 for s in OPEN_REVIEW_STATES}
        )
        tier_of_rank = {rank: tier for tier, rank in RISK_TIER_RANK.items()}
        for row in queue.order_by().values("risk_rank", "state").annotate(n=Count("id")):
            counts["total"] += row["n"]
            if row["risk_rank"] in tier_of_rank:
                counts[f"tier_{tier_of_rank[row['risk_rank']]}"] += row["n"]
            if row["state"] in OPEN_REVIEW_STATES:
                counts[f"state_{row['state']}"] += row["n"]
        tier, state, team_slug = params.get("tier", ""), params.get("state", ""), params.get("team", "")
        if tier in RiskTier.values:
            queue = queue.filter(risk_rank=RISK_TIER_RANK[tier])
        if state in ReviewState.values:
            queue = queue.filter(state=state)
        if team_slug:
            queue = queue.filter(
                Q(use_case__team__slug=team_slug) | Q(use_case__team__parent__slug=team_slug)
            )
        if params.get("mine"):
            queue = queue.filter(reviewer=user)
        page, notice = paginate(self.request, queue, settings.CATALOG_PAGE_SIZE)
        now = timezone.now()
        rows = []
        for review in page.object_list:
            due = review_services.review_due_at(review, review.use_case.risk_tier)
            rows.append(
                {
                    "review": review,
                    "age_days": (now - review.requested_at).days,
                    "due": due,
                    "overdue": due < now and review.state != ReviewState.CHANGES_REQUESTED,
                }
            )
        return super().get_context_data(
            rows=rows,
            page_obj=page,
            notice=notice,
            counts=counts,
            tiers=RiskTier.choices,
            states=[
                (s, ReviewState(s).label)
                for s in (ReviewState.REQUESTED, ReviewState.IN_REVIEW, ReviewState.CHANGES_REQUESTED)
            ],
            teams=Team.objects.filter(parent__isnull=True).order_by("name").only("slug", "name"),
            chosen={"tier": tier, "state": state, "team": team_slug, "mine": bool(params.get("mine"))},
            self_attest_tiers=[
                RiskTier(t).label for t in settings.REVIEW_SELF_ATTEST_TIERS if t in RiskTier.values
            ],
            sample_rate=round(settings.SELF_ATTESTATION_SAMPLE_RATE * 100),
            sla_days=settings.REVIEW_SLA_DAYS,
            can_decide=can_decide_reviews(user),
            **kwargs,
        )


def _review_or_404(user, pk) -> SecurityReview:
    if not _may_see_queue(user):
        raise Http404("No such review.")
    try:
        return SecurityReview.objects.select_related("use_case", "reviewer", "requested_by").get(pk=pk)
    except SecurityReview.DoesNotExist:
        raise Http404("No such review.") from None


class ReviewDetailView(LoginRequiredMixin, TemplateView):
    """``/reviews/<pk>/``: everything a reviewer needs on one screen, and the decision form."""

    template_name = "registry/review_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        review = _review_or_404(user, kwargs["pk"])
        use_case = use_case_detail(user=user, pk=review.use_case_id)
        previous_approval = (
            use_case.reviews.filter(
                decided_at__isnull=False, state__in=[ReviewState.APPROVED, ReviewState.EXPIRED]
            )
            .exclude(pk=review.pk)
            .order_by("-decided_at")
            .first()
        )
        since = HistoryEntry.objects.filter(use_case=use_case).select_related("actor")
        if previous_approval is not None:
            since = since.filter(at__gt=previous_approval.decided_at)
        form_values = kwargs.pop("form_values", {})
        return super().get_context_data(
            review=review,
            use_case=use_case,
            due=review_services.review_due_at(review, use_case.risk_tier),
            previous_approval=previous_approval,
            changes_since=list(since.order_by("-at")[:30]),
            checklist=[
                (
                    item,
                    label,
                    form_values.get("checklist", {}).get(item) or _answer_of(review.checklist.get(item)),
                )
                for item, label in review_services.CHECKLIST.items()
            ],
            conditions=list(review_services.CONDITIONS.items()),
            chosen_conditions=form_values.get("conditions", review.conditions or []),
            findings=form_values.get("findings", review.findings),
            can_decide=can_decide_reviews(user),
            is_open=review.state in (ReviewState.REQUESTED, ReviewState.IN_REVIEW),
            is_spot_check=review.spot_check
            and review.state == ReviewState.APPROVED
            and review.reviewer_id is None,
            errors=kwargs.pop("errors", {}),
            **kwargs,
        )


def _answer_of(value):
    return value.get("answer") if isinstance(value, dict) else value


#: URL action -> (service, what the person sees afterwards).
ACTIONS = {
    "claim": "claimed",
    "unclaim": "given back to the queue",
    "approve": "approved",
    "request-changes": "sent back for changes",
    "reject": "rejected",
    "spot-check-pass": "spot check passed",
    "spot-check-fail": "sent back after the spot check",
}


class ReviewActionView(LoginRequiredMixin, View):
    """``POST /reviews/<pk>/<action>/``: one transition. An illegal one answers 409 with the
    current state on the page; a role that may not make it, 404."""

    def post(self, request, pk, action):
        if action not in ACTIONS:
            raise Http404("No such action.")
        review = _review_or_404(request.user, pk)
        post = request.POST
        checklist = {
            item: post.get(f"checklist-{item}")
            for item in review_services.CHECKLIST
            if post.get(f"checklist-{item}")
        }
        conditions = post.getlist("conditions") + [
            c for c in post.get("other_condition", "").split(";") if c.strip()
        ]
        findings = post.get("findings", "")
        try:
            if action == "claim":
                review_services.review_claim(review=review, actor=request.user)
            elif action == "unclaim":
                review_services.review_unclaim(review=review, actor=request.user)
            elif action == "approve":
                review_services.review_approve(
                    review=review,
                    actor=request.user,
                    findings=findings,
                    checklist=checklist,
                    conditions=conditions,
                )
            elif action == "request-changes":
                review_services.review_request_changes(
                    review=review, actor=request.user, findings=findings, checklist=checklist
                )
            elif action == "reject":
                review_services.review_reject(
                    review=review, actor=request.user, findings=findings, checklist=checklist
                )
            else:
                review_services.review_spot_check(
                    review=review, actor=request.user, passed=action == "spot-check-pass", findings=findings
                )
        except PermissionDenied as error:
            if not can_decide_reviews(request.user):
                raise Http404("No such review.") from None
            messages.error(request, str(error))
            return redirect("registry:review_detail", pk=pk)
        except TransitionNotAllowed as error:
            messages.error(request, f"{error} It is {ReviewState(error.state).label.lower()} now.")
            return _render_detail(request, pk, status=409)
        except (ValidationError, ApprovalBlocked) as error:
            errors = (
                error.message_dict
                if isinstance(error, ValidationError) and hasattr(error, "error_dict")
                else {"__all__": [f"Cannot approve: {'; '.join(error.reasons)}."]}
                if isinstance(error, ApprovalBlocked)
                else {"__all__": error.messages}
            )
            return _render_detail(
                request,
                pk,
                status=400,
                errors=errors,
                form_values={"checklist": checklist, "conditions": conditions, "findings": findings},
            )
        messages.success(request, f"Review {ACTIONS[action]}.")
        if action == "claim":
            return redirect("registry:review_detail", pk=pk)
        return redirect("registry:review_queue")


def _render_detail(request, pk, *, status, **extra):
    """The decision page again (after a refused POST), with ``status`` and the errors."""
    view = ReviewDetailView()
    view.setup(request, pk=pk)
    return render(request, view.template_name, view.get_context_data(pk=pk, **extra), status=status)
