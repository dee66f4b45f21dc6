"""Registering and editing a use case (one page), its live helpers (similar use cases, the
risk preview, the connection picker) and submitting it for security review.

The page works without JavaScript: "Add" buttons post the form and re-render it with one more
row, and saving is a plain POST. With htmx the same buttons swap just their fieldset, and the
similar use cases and the risk tier follow what is typed.

The secret guard runs first on every POST of the page, on the text as sent: a refused value
is removed before any form is bound (so it is never shown again, saved or sent to the
database), its input gets the guard's message, and the refusal is counted once. The live
helpers never count: they echo nothing that was typed and skip searching text that looks like
a secret.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views import View

from accounts.permissions import can_change_use_case, can_reassign_owner, can_view_credential_details

from ..choices import RiskTier
from ..exceptions import SecretValueError
from ..forms.use_case import ROWS, ROWS_BY_PREFIX, RowsSpec, UseCaseRegistrationForms, registrable_teams
from ..models import UseCase
from ..rules.risk import redact_reasons, risk_assess
from ..secret_guard import secret_guard
from ..selectors.similar import use_cases_named, use_cases_similar
from ..services.registration import use_case_edit, use_case_register, use_case_submit

TEMPLATE = "registry/use_case_form.html"


def _changeable_use_case_or_404(user, pk) -> UseCase:
    """The use case ``pk`` if ``user`` may see and change it; 404 otherwise (a page never
    says that a use case exists to someone who may not act on it)."""
    try:
        use_case = UseCase.objects.restrict(user, "view").select_related("team", "owner").get(pk=pk)
    except UseCase.DoesNotExist:
        raise Http404("No use case with this id is visible to you.") from None
    if not can_change_use_case(user, use_case):
        raise Http404("You may not change this use case.")
    return use_case


def _is_htmx(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


class UseCaseFormView(LoginRequiredMixin, View):
    """``/use-cases/new/`` (register) and ``/use-cases/<pk>/edit/`` (edit): one page.

    POST ``action`` = ``register`` | ``draft`` | ``save`` saves; ``add=<formset>`` adds a row
    and ``refresh=<formset>`` re-renders (a connection search) without saving. An htmx
    ``add``/``refresh`` gets only that formset's fieldset.
    """

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        pk = kwargs.get("pk")
        if pk is None:
            self.use_case = None
            if not registrable_teams(request.user).exists():
                raise PermissionDenied("Only builders register use cases, for the teams they belong to.")
            self.may_reassign = False
        else:
            self.use_case = _changeable_use_case_or_404(request.user, pk)
            self.may_reassign = can_reassign_owner(request.user, self.use_case)
        return super().dispatch(request, *args, **kwargs)

    def _forms(self, data=None, add=""):
        return UseCaseRegistrationForms(
            user=self.request.user, use_case=self.use_case, data=data, add=add, may_reassign=self.may_reassign
        )

    def get(self, request, *args, **kwargs):
        return self._render(self._forms())

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "")
        add = request.POST.get("add", "")
        refresh = request.POST.get("refresh", "")
        region = add or refresh
        partial = _is_htmx(request) and region in ROWS_BY_PREFIX
        data, refused = self._guard(request.POST, only_prefix=region if partial else None)
        forms = self._forms(data, add=add)
        if region:
            if partial:
                forms.quiet()
                forms.add_sent_errors(refused)
                return self._render_rows(forms, region)
            risk = _risk_of(forms)  # validates (leniently) before the errors are put aside
            forms.quiet()
            forms.add_sent_errors(refused)
            return self._render(forms, risk=risk)
        valid = forms.is_valid()
        forms.add_sent_errors(refused)
        if not valid or refused:
            return self._render(forms)
        fields, links = forms.service_input()
        try:
            if self.use_case is None:
                use_case = use_case_register(
                    actor=request.user, fields=fields, links=links, draft=action == "draft", channel="form"
                )
            else:
                use_case = use_case_edit(
                    actor=request.user, use_case=self.use_case, fields=fields, links=links, channel="form"
                ).use_case
        except SecretValueError as error:
            forms.add_errors(error.errors)
        except ValidationError as error:
            forms.add_errors(error.message_dict)
        except PermissionDenied as error:
            forms.add_errors({"team": [str(error)]})
        else:
            if self.use_case is not None:
                messages.success(request, "Changes saved.")
            elif use_case.is_draft:
                messages.success(
                    request, "Saved as a draft: only your team sees it until you submit it for review."
                )
            else:
                messages.success(request, "Registered. Submit it for security review when it is ready.")
            return redirect(use_case)
        return self._render(forms)

    def _guard(self, post, *, only_prefix):
        """Refuse secret-looking values among the page's inputs as sent.

        Returns:
            ``(data without the refused values, {input name: the guard's message})``.
        """
        names = UseCaseRegistrationForms.sent_field_names(post, only_prefix=only_prefix)
        values = {}
        for name in names:
            sent = post.getlist(name)
            values[name] = sent if len(sent) > 1 else (sent[0] if sent else "")
        try:
            secret_guard(values, channel="form", actor=self.request.user)
        except SecretValueError as error:
            data = post.copy()
            for name in error.errors:
                data.pop(name, None)
            return data, error.errors
        return post, {}

    def _context(self, forms: UseCaseRegistrationForms, risk: dict | None = None) -> dict:
        forms.describe_fields()
        use_case = self.use_case
        if risk is None and forms.bound:
            risk = _risk_of(forms)
        elif risk is None and use_case is not None:  # the page as it opens: the stored tier
            reasons = use_case.risk_reasons
            if not can_view_credential_details(self.request.user, use_case):
                reasons = redact_reasons(reasons)
            risk = {"tier": use_case.risk_tier, "reasons": reasons}
        risk = risk or {"tier": RiskTier.LOW, "reasons": []}
        similar = []
        if forms.bound:
            similar = use_cases_similar(
                self.request.user,
                name=forms.data.get("name", ""),
                purpose=forms.data.get("purpose", ""),
                exclude_id=use_case.pk if use_case else None,
            )
        main = forms.main
        blocks = {spec.prefix: _rows_block(forms, spec.prefix) for spec in ROWS}
        changed = set(main.changed_data) if forms.bound else set()
        groups = []
        for key, title, names in OPTIONAL_GROUPS:
            fields = [main[name] for name in names]
            is_open = any(f.errors for f in fields) or bool(changed & set(names)) or use_case is not None
            groups.append({"key": key, "title": title, "fields": fields, "open": is_open})
        return {
            "use_case": use_case,
            "form": main,
            "blocks": blocks,
            "optional_blocks": [blocks[spec.prefix] for spec in ROWS if spec.prefix != "vendors"],
            "optional_groups": groups,
            "required_fields": [main[name] for name in main.REQUIRED],
            "error_summary": forms.error_summary(),
            "choices": forms.choices,
            "risk": risk,
            "similar": similar,
            "similar_asked": forms.bound,
        }

    def _render(self, forms, risk: dict | None = None):
        response = render(self.request, TEMPLATE, self._context(forms, risk))
        patch_vary_headers(response, ["HX-Request"])
        return response

    def _render_rows(self, forms, prefix):
        forms.describe_fields()
        context = {"block": _rows_block(forms, prefix), "use_case": self.use_case}
        return render(self.request, f"{TEMPLATE}#rows", context)


#: The optional groups of the use case's own fields: (key, title, field names).
OPTIONAL_GROUPS = (
    (
        "how",
        "How it works",
        (
            "description",
            "outputs",
            "lifecycle_stage",
            "autonomy",
            "exposure",
            "human_in_the_loop",
            "handles_personal_data",
            "is_high_impact",
            "high_impact_justification",
        ),
    ),
    ("people", "People", ("backup_owner", "builders")),
    (
        "links",
        "Links and usage",
        ("documentation_url", "code_url", "users_count", "hours_saved_per_week", "monthly_cost"),
    ),
)


@dataclass
class RowsBlock:
    """One formset as the page shows it: open when it has rows or errors."""

    spec: RowsSpec
    formset: object
    errors: list
    count: int
    open: bool


def _rows_block(forms: UseCaseRegistrationForms, prefix: str) -> RowsBlock:
    formset = forms.formsets[prefix]
    errors = forms.section_errors.get(prefix, [])
    count = len(formset.forms)
    has_errors = bool(errors) or any(f.errors for f in formset.forms) or bool(formset.non_form_errors())
    return RowsBlock(
        spec=ROWS_BY_PREFIX[prefix],
        formset=formset,
        errors=errors,
        count=count,
        open=count > 0 or has_errors or forms.added == prefix,
    )


def _risk_of(forms: UseCaseRegistrationForms) -> dict:
    """The tier and reasons of the unsaved input (``risk_assess`` over ``forms.risk_facts``);
    credential names and storage places are redacted when the asker may not see them."""
    assessment = risk_assess(forms.risk_facts())
    hidden = any(
        (form.cleaned_data or {}).get("credential") is not None
        and form.cleaned_data["credential"].pk not in forms.choices.credential_detail_ids
        for form in forms.formsets["credentials"].forms
        if getattr(form, "cleaned_data", None)
    )
    reasons = redact_reasons(assessment.reasons) if hidden else assessment.reasons
    return {"tier": assessment.tier, "reasons": reasons}


def _editing(request) -> UseCase | None:
    """The use case the page edits (its hidden ``editing`` input), if the asker may change it."""
    try:
        return _changeable_use_case_or_404(request.user, int(request.POST.get("editing", "")))
    except (ValueError, Http404):
        return None


class UseCaseRiskPreviewView(LoginRequiredMixin, View):
    """``POST /use-cases/risk-preview/``: the risk tier and its reasons for the form as it is
    now (never saves anything)."""

    http_method_names = ["post"]

    def post(self, request):
        use_case = _editing(request)
        forms = UseCaseRegistrationForms(user=request.user, use_case=use_case, data=request.POST)
        return render(request, f"{TEMPLATE}#risk", {"risk": _risk_of(forms)})


class UseCaseSimilarView(LoginRequiredMixin, View):
    """``POST /use-cases/similar/``: existing use cases like the one typed (``name``,
    ``purpose``), with team and owner. POST, so that what is typed never lands in a URL or an
    access log."""

    http_method_names = ["post"]

    def post(self, request):
        editing = request.POST.get("editing", "")
        similar = use_cases_similar(
            request.user,
            name=request.POST.get("name", ""),
            purpose=request.POST.get("purpose", ""),
            exclude_id=int(editing) if editing.isdigit() else None,
        )
        return render(request, f"{TEMPLATE}#similar", {"similar": similar, "similar_asked": True})


class UseCasePickerView(LoginRequiredMixin, View):
    """``POST /use-cases/picker/``: ``<option>`` s of the use cases whose name contains what
    was typed in a connection row's search (its ``<prefix>-<n>-find`` input)."""

    http_method_names = ["post"]

    def post(self, request):
        text = next((value for key, value in request.POST.items() if key.endswith("-find")), "")
        editing = request.POST.get("editing", "")
        found = use_cases_named(request.user, text, exclude_id=int(editing) if editing.isdigit() else None)
        return render(
            request, f"{TEMPLATE}#picker-options", {"found": found, "text_given": bool(text.strip())}
        )


class UseCaseSubmitView(LoginRequiredMixin, View):
    """``POST /use-cases/<pk>/submit/``: submit for security review (registers a draft)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        use_case = _changeable_use_case_or_404(request.user, pk)
        try:
            review = use_case_submit(actor=request.user, use_case=use_case)
        except PermissionDenied:
            raise Http404("You may not submit this use case.") from None
        messages.success(
            request, f"Submitted for security review (review {review.get_state_display().lower()})."
        )
        return redirect(use_case)
