"""A use case's page and the actions on it: retire, reassign owners, accept ownership."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from accounts.permissions import (
    can_change_use_case,
    can_reassign_owner,
    can_view_credential_details,
)

from ..forms import UseCaseOwnersForm
from ..models import UseCase
from ..rules.risk import redact_reasons
from ..selectors.use_cases import use_case_detail
from ..services.ownership import use_case_accept_ownership
from ..services.use_cases import use_case_reassign_owners, use_case_retire

# --- a use case's page -------------------------------------------------------------------


class UseCaseDetailView(LoginRequiredMixin, TemplateView):
    """``/use-cases/<pk>/``: everything known about one use case, grouped."""

    template_name = "registry/use_case_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            use_case = use_case_detail(user=self.request.user, pk=kwargs["pk"])
        except UseCase.DoesNotExist:
            raise Http404("No use case with this id is visible to you.") from None
        source_row = use_case.source_row
        if isinstance(source_row, dict):
            source_items = list(source_row.items())
        elif isinstance(source_row, list):  # a list of [column, value] pairs keeps column order
            source_items = [tuple(pair) for pair in source_row if len(pair) == 2]
        else:
            source_items = []
        credential_details = can_view_credential_details(self.request.user, use_case)
        context.update(
            use_case=use_case,
            can_change=can_change_use_case(self.request.user, use_case),
            can_reassign=can_reassign_owner(self.request.user, use_case),
            credential_details=credential_details,
            risk_reasons=use_case.risk_reasons
            if credential_details
            else redact_reasons(use_case.risk_reasons),
            source_items=source_items,
            builders=list(use_case.builders.all()),
            reviews=list(use_case.reviews.all()),
            history=list(use_case.history.order_by("-at", "-id")[:50]),
        )
        return context


class UseCaseRetireView(LoginRequiredMixin, View):
    """``POST /use-cases/<pk>/retire/``: the soft delete (only admins delete, in the admin)."""

    def post(self, request, pk):
        use_case = _visible_use_case_or_404(request.user, pk)
        try:
            use_case_retire(use_case=use_case, actor=request.user)
        except PermissionDenied:
            raise Http404("No use case with this id may be retired by you.") from None
        messages.success(request, f"“{use_case.name}” is retired. It stays in the registry and its history.")
        return redirect(use_case)


class UseCaseOwnersView(LoginRequiredMixin, TemplateView):
    """``/use-cases/<pk>/owners/``: a team lead reassigns the owner and backup owner."""

    template_name = "registry/use_case_owners.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.use_case = _visible_use_case_or_404(request.user, kwargs["pk"])
        if not can_reassign_owner(request.user, self.use_case):
            raise Http404("Only the team's lead can reassign this use case's owners.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        form = kwargs.get("form") or UseCaseOwnersForm(
            team=self.use_case.team,
            initial={"owner": self.use_case.owner_id, "backup_owner": self.use_case.backup_owner_id},
        )
        return super().get_context_data(use_case=self.use_case, form=form, **kwargs)

    def post(self, request, pk):
        form = UseCaseOwnersForm(request.POST, team=self.use_case.team)
        if form.is_valid():
            try:
                use_case_reassign_owners(
                    use_case=self.use_case,
                    actor=request.user,
                    owner=form.cleaned_data["owner"],
                    backup_owner=form.cleaned_data["backup_owner"],
                )
            except ValidationError as error:
                for field_name, field_errors in error.message_dict.items():
                    for message in field_errors:
                        form.add_error(field_name, message)
            else:
                messages.success(request, "Owners updated.")
                return redirect(self.use_case)
        return self.render_to_response(self.get_context_data(form=form))


def _visible_use_case_or_404(user, pk) -> UseCase:
    try:
        return UseCase.objects.restrict(user, "view").select_related("team", "owner").get(pk=pk)
    except UseCase.DoesNotExist:
        raise Http404("No use case with this id is visible to you.") from None


class UseCaseAcceptOwnershipView(LoginRequiredMixin, View):
    """``POST /use-cases/<pk>/accept-ownership/``: take (or confirm) ownership of a use case,
    then go back to ``next`` (a page of this site) or to the use case."""

    http_method_names = ["post"]

    def post(self, request, pk):
        use_case = _visible_use_case_or_404(request.user, pk)
        was_owner = use_case.owner_id == request.user.pk
        try:
            use_case_accept_ownership(use_case=use_case, actor=request.user)
        except PermissionDenied:
            raise Http404("You may not accept ownership of this use case.") from None
        messages.success(
            request,
            f"You confirmed that you own “{use_case.name}”."
            if was_owner
            else f"You are now the owner of “{use_case.name}”.",
        )
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(target)
        return redirect(use_case)
