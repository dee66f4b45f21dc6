"""The shared library's pages: the library and its entries (everyone signed in), adopting,
the curators' candidates page and their actions (promote, edit, deprecate, unlist), a use
case's usage reports, and foundation documents.

Views are thin: selectors read (restricted to the asker), services write. A page or action the
asker may not use answers 404 (``docs/permissions.md``); a refused promotion answers 409 with
the unmet criteria on the page.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views import View
from django.views.generic import TemplateView

from accounts.permissions import can_change_use_case, can_curate_library, can_view_credential_details

from ..choices import UseCaseKind
from ..exceptions import SecretValueError, TransitionNotAllowed
from ..forms.library import (
    AdoptionForm,
    FoundationVersionForm,
    LibraryDeprecateForm,
    LibraryEntryForm,
    UsageReportForm,
)
from ..models import FoundationDocument, LibraryEntry, UseCase
from ..rules.graduation import weekly_hours
from ..selectors import library as library_selectors
from ..selectors.use_cases import use_case_detail
from ..services import library as library_services
from .catalog import paginate

#: Cards per library page.
LIBRARY_PAGE_SIZE = 24


def _errors_to_form(form, error) -> None:
    """Put a service's ``ValidationError`` or ``SecretValueError`` on the form's fields."""
    if isinstance(error, SecretValueError):
        items = {name: [message] for name, message in error.errors.items()}
    elif hasattr(error, "error_dict"):
        items = error.message_dict
    else:
        items = {None: error.messages}
    for name, field_errors in items.items():
        for message in field_errors:
            form.add_error(name if name in form.fields else None, message)


def _visible_use_case_or_404(user, pk) -> UseCase:
    try:
        return use_case_detail(user=user, pk=pk)
    except UseCase.DoesNotExist:
        raise Http404("No use case with this id is visible to you.") from None


def _entry_or_404(user, pk) -> LibraryEntry:
    try:
        return library_selectors.library_entry_detail(user=user, pk=pk)
    except LibraryEntry.DoesNotExist:
        raise Http404("No library entry with this id is open to you.") from None


def _card_figures(entry) -> None:
    """Users and hours saved a week for a card: the latest report, else the registry's figures."""
    if entry.report_period is not None:
        entry.card_users = entry.report_users
        entry.card_hours = weekly_hours(entry.report_hours)
        entry.card_source = "report"
    else:
        entry.card_users = entry.use_case.users_count
        entry.card_hours = entry.use_case.hours_saved_per_week
        entry.card_source = "registry"


# --- the library ----------------------------------------------------------------------------


class LibraryListView(LoginRequiredMixin, TemplateView):
    """``/library/``: listed entries as cards, searchable and filtered by category, team,
    vendor and kind; an htmx request gets only the results region."""

    template_name = "registry/library_list.html"

    def get_template_names(self):
        htmx = getattr(self.request, "htmx", None)
        if htmx and not htmx.history_restore_request:
            return [f"{self.template_name}#results"]
        return [self.template_name]

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response

    def get_context_data(self, **kwargs):
        params = self.request.GET
        user = self.request.user
        curator = can_curate_library(user)
        status = params.get("status", "")
        statuses = (status,) if status in LibraryEntry.Status.values else (LibraryEntry.Status.LISTED,)
        kind = params.get("kind", "")
        filters = library_selectors.LibraryFilters(
            search=params.get("q", "")[:200],
            category=params.get("category", "")[:100],
            team=params.get("team", "")[:220],
            vendor=params.get("vendor", "")[:220],
            kind=kind if kind in UseCaseKind.values else "",
            statuses=statuses,
        )
        entries = library_selectors.library_entries_filtered(user, filters)
        page, notice = paginate(self.request, entries, LIBRARY_PAGE_SIZE)
        for entry in page.object_list:
            _card_figures(entry)
        return super().get_context_data(
            page_obj=page,
            entries=page.object_list,
            notice=notice,
            filters=filters,
            status=statuses[0],
            facets=library_selectors.library_facets(user),
            kinds=UseCaseKind.choices,
            statuses=LibraryEntry.Status.choices if curator else [],
            can_curate=curator,
            **kwargs,
        )


class LibraryEntryDetailView(LoginRequiredMixin, TemplateView):
    """``/library/<pk>/``: everything needed to adopt an entry, its adopters and the adopt form."""

    template_name = "registry/library_entry_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        entry = kwargs.pop("entry", None) or _entry_or_404(user, kwargs["pk"])
        use_case = entry.detail_use_case
        _card_figures(entry)
        reports = library_selectors.usage_reports_for(use_case)
        assessment = library_selectors.use_case_graduation(use_case, report=reports[-1] if reports else None)
        adoptions = list(entry.adoptions.all())
        linked_ids = [a.use_case_id for a in adoptions if a.use_case_id]
        visible_linked = (
            set(UseCase.objects.restrict(user, "view").filter(pk__in=linked_ids).values_list("pk", flat=True))
            if linked_ids
            else set()
        )
        mine = next((a for a in adoptions if a.adopted_by_id == user.pk), None)
        problems = library_services.library_entry_problems(use_case, assessment)
        return super().get_context_data(
            entry=entry,
            use_case=use_case,
            reports=reports,
            assessment=assessment,
            adoptions=adoptions,
            visible_linked=visible_linked,
            my_adoption=mine,
            problems=problems,
            adopt_form=kwargs.pop("adopt_form", None) or AdoptionForm(user=user),
            can_curate=can_curate_library(user),
            credential_details=can_view_credential_details(user, use_case),
            currency=settings.CURRENCY,
            **kwargs,
        )


class LibraryAdoptView(LoginRequiredMixin, View):
    """``POST /library/<pk>/adopt/``: record an adoption (and optionally create a linked use case)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        entry = _entry_or_404(request.user, pk)
        form = AdoptionForm(request.POST, user=request.user)
        status = 400
        if form.is_valid():
            try:
                result = library_services.adoption_record(
                    entry=entry,
                    actor=request.user,
                    team=form.cleaned_data.get("team"),
                    note=form.cleaned_data.get("note", ""),
                    create_use_case=bool(form.cleaned_data.get("create_use_case")),
                )
            except (ValidationError, SecretValueError, PermissionDenied) as error:
                if isinstance(error, PermissionDenied):
                    form.add_error(None, str(error))
                else:
                    _errors_to_form(form, error)
            except TransitionNotAllowed as error:
                form.add_error(None, str(error))
                status = 409
            else:
                if result.linked_use_case is not None:
                    messages.success(
                        request,
                        f"Adopted. Your own use case “{result.linked_use_case.name}” is a draft: add your "
                        "credentials and submit it for review.",
                    )
                    return redirect(result.linked_use_case)
                messages.success(
                    request,
                    "Adopted: thank you for recording it." if result.created else "Your adoption is updated.",
                )
                return redirect("registry:library_entry_detail", pk=entry.pk)
        view = LibraryEntryDetailView()
        view.setup(request, pk=pk)
        context = view.get_context_data(pk=pk, entry=entry, adopt_form=form)
        return render(request, view.template_name, context, status=status)


# --- curators ---------------------------------------------------------------------------------


def _require_curator_or_404(user) -> None:
    if not can_curate_library(user):
        raise Http404("No such page.")


class LibraryCandidatesView(LoginRequiredMixin, TemplateView):
    """``/library/candidates/``: use cases meeting every criterion and not in the library,
    most valuable first; near-misses (one criterion missing) with that criterion; flagged entries."""

    template_name = "registry/library_candidates.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        _require_curator_or_404(user)
        candidates = library_selectors.library_candidates(user)
        return super().get_context_data(
            candidates=candidates,
            flagged=list(library_selectors.library_flagged_entries()),
            min_users=settings.LIBRARY_MIN_ACTIVE_USERS,
            min_hours=settings.LIBRARY_MIN_HOURS_SAVED_PER_WEEK,
            unlist_after=settings.LIBRARY_UNLIST_AFTER_DAYS,
            **kwargs,
        )


class UseCasePromoteView(LoginRequiredMixin, TemplateView):
    """``/use-cases/<pk>/promote/``: the promotion form, prefilled; a POST promotes, or answers
    409 with the unmet criteria."""

    template_name = "registry/library_promote.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        _require_curator_or_404(request.user)
        self.use_case = _visible_use_case_or_404(request.user, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        use_case = self.use_case
        existing = LibraryEntry.objects.filter(use_case=use_case).first()
        form = kwargs.pop("form", None)
        if form is None:
            initial = {
                "reuse_summary": (existing.reuse_summary if existing else use_case.purpose),
                "how_to_adopt": (
                    existing.how_to_adopt if existing else library_selectors.how_to_adopt_draft(use_case)
                ),
                "category": existing.category
                if existing
                else (use_case.topic_area or use_case.team.name)[:100],
                "version": existing.version if existing else "1.0",
            }
            form = LibraryEntryForm(initial=initial)
        return super().get_context_data(
            use_case=use_case,
            assessment=library_selectors.use_case_graduation(use_case),
            existing=existing,
            form=form,
            categories=library_selectors.library_categories(),
            refused=kwargs.pop("refused", []),
            **kwargs,
        )

    def post(self, request, pk):
        form = LibraryEntryForm(request.POST)
        form.guard_actor = request.user
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            entry = library_services.library_promote(
                use_case=self.use_case, actor=request.user, **form.cleaned_data
            )
        except library_services.PromotionRefused as error:
            return self.render_to_response(
                self.get_context_data(form=form, refused=error.reasons), status=409
            )
        except (ValidationError, SecretValueError) as error:
            _errors_to_form(form, error)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, f"“{self.use_case.name}” is in the shared library.")
        return redirect("registry:library_entry_detail", pk=entry.pk)


class _CuratorEntryView(LoginRequiredMixin, TemplateView):
    """An entry action page for curators (404 for anyone else)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        _require_curator_or_404(request.user)
        try:
            self.entry = LibraryEntry.objects.select_related("use_case", "replacement__use_case").get(
                pk=kwargs["pk"]
            )
        except LibraryEntry.DoesNotExist:
            raise Http404("No such library entry.") from None
        return super().dispatch(request, *args, **kwargs)


class LibraryEntryEditView(_CuratorEntryView):
    """``/library/<pk>/edit/``: change an entry's text, category and version."""

    template_name = "registry/library_entry_form.html"

    def get_context_data(self, **kwargs):
        form = kwargs.pop("form", None) or LibraryEntryForm(
            initial={name: getattr(self.entry, name) for name in library_services.ENTRY_FIELDS}
        )
        return super().get_context_data(
            entry=self.entry, form=form, categories=library_selectors.library_categories(), **kwargs
        )

    def post(self, request, pk):
        form = LibraryEntryForm(request.POST)
        form.guard_actor = request.user
        if form.is_valid():
            try:
                library_services.library_entry_edit(
                    entry=self.entry, actor=request.user, values=form.cleaned_data
                )
            except (ValidationError, SecretValueError) as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, "Library entry saved.")
                return redirect("registry:library_entry_detail", pk=self.entry.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class LibraryDeprecateView(_CuratorEntryView):
    """``/library/<pk>/deprecate/``: deprecate with a reason and a replacement."""

    template_name = "registry/library_deprecate.html"

    def get_context_data(self, **kwargs):
        form = kwargs.pop("form", None) or LibraryDeprecateForm(entry=self.entry)
        return super().get_context_data(entry=self.entry, form=form, **kwargs)

    def post(self, request, pk):
        form = LibraryDeprecateForm(request.POST, entry=self.entry)
        form.guard_actor = request.user
        status = 400
        if form.is_valid():
            try:
                library_services.library_deprecate(
                    entry=self.entry,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    replacement=form.cleaned_data.get("replacement"),
                )
            except (ValidationError, SecretValueError) as error:
                _errors_to_form(form, error)
            except TransitionNotAllowed as error:
                form.add_error(None, str(error))
                status = 409
            else:
                messages.success(request, "Deprecated: readers see why and what to use instead.")
                return redirect("registry:library_entry_detail", pk=self.entry.pk)
        return self.render_to_response(self.get_context_data(form=form), status=status)


class LibraryUnlistView(_CuratorEntryView):
    """``POST /library/<pk>/unlist/``: take an entry out of the library."""

    http_method_names = ["post"]

    def post(self, request, pk):
        try:
            library_services.library_unlist(
                entry=self.entry, actor=request.user, reason=request.POST.get("reason", "")
            )
        except TransitionNotAllowed as error:
            messages.error(request, str(error))
        except SecretValueError as error:
            messages.error(request, "; ".join(error.errors.values()))
        else:
            messages.success(request, f"“{self.entry.use_case.name}” is unlisted. It can be promoted again.")
        return redirect("registry:library_entry_detail", pk=self.entry.pk)


# --- usage reports --------------------------------------------------------------------------


class UseCaseUsageView(LoginRequiredMixin, TemplateView):
    """``/use-cases/<pk>/usage/``: a use case's monthly usage (chart and table) and, for those
    who may change it, the form to report a month (sending a month again updates it)."""

    template_name = "registry/library_usage.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        try:
            self.use_case = (
                UseCase.objects.restrict(request.user, "view")
                .select_related("team", "owner")
                .get(pk=kwargs["pk"])
            )
        except UseCase.DoesNotExist:
            raise Http404("No use case with this id is visible to you.") from None
        self.can_change = can_change_use_case(request.user, self.use_case)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        form = kwargs.pop("form", None)
        if form is None and self.can_change:
            form = UsageReportForm(currency=settings.CURRENCY)
        return super().get_context_data(
            use_case=self.use_case,
            reports=library_selectors.usage_reports_for(self.use_case, months=24),
            form=form,
            can_change=self.can_change,
            currency=settings.CURRENCY,
            **kwargs,
        )

    def post(self, request, pk):
        if not self.can_change:
            raise Http404("You may not report this use case's usage.")
        form = UsageReportForm(request.POST, currency=settings.CURRENCY)
        if form.is_valid():
            data = form.cleaned_data
            try:
                report, created = library_services.usage_report_upsert(
                    use_case=self.use_case,
                    actor=request.user,
                    period=data["period"],
                    active_users=data["active_users"],
                    runs=data["runs"],
                    hours_saved=data["hours_saved"],
                    cost=data["cost"],
                )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(
                    request, f"Usage for {report.period:%B %Y} {'recorded' if created else 'updated'}."
                )
                return redirect(f"{self.use_case.get_absolute_url()}#shared-library")
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- foundation documents ------------------------------------------------------------------------


class FoundationDocumentListView(LoginRequiredMixin, TemplateView):
    """``/foundation-documents/``: every foundation document, its current version and how many
    use cases are on an older one."""

    template_name = "registry/foundation_document_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            documents=list(library_selectors.foundation_documents_list()),
            can_curate=can_curate_library(self.request.user),
            **kwargs,
        )


class FoundationDocumentDetailView(LoginRequiredMixin, TemplateView):
    """``/foundation-documents/<pk>/``: its versions and who uses which (outdated first); the
    curators' form to publish a new version."""

    template_name = "registry/foundation_document_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        try:
            document, versions, uses = library_selectors.foundation_document_detail(
                user=user, pk=kwargs["pk"]
            )
        except FoundationDocument.DoesNotExist:
            raise Http404("No such foundation document.") from None
        curator = can_curate_library(user)
        form = kwargs.pop("form", None)
        if form is None and curator:
            form = FoundationVersionForm()
        return super().get_context_data(
            document=document,
            versions=versions,
            uses=uses,
            outdated=sum(1 for u in uses if u.version != document.current_version),
            form=form,
            can_curate=curator,
            **kwargs,
        )


class FoundationVersionPublishView(LoginRequiredMixin, View):
    """``POST /foundation-documents/<pk>/versions/``: publish a version (curators; 404 otherwise)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        _require_curator_or_404(request.user)
        try:
            document = FoundationDocument.objects.get(pk=pk)
        except FoundationDocument.DoesNotExist:
            raise Http404("No such foundation document.") from None
        form = FoundationVersionForm(request.POST)
        form.guard_actor = request.user
        if form.is_valid():
            try:
                published = library_services.foundation_version_publish(
                    document=document, actor=request.user, **form.cleaned_data
                )
            except (ValidationError, SecretValueError) as error:
                _errors_to_form(form, error)
            else:
                messages.success(
                    request,
                    f"Version {published.version} published; owners of use cases on an older version "
                    "are emailed.",
                )
                return redirect("registry:foundation_document_detail", pk=pk)
        view = FoundationDocumentDetailView()
        view.setup(request, pk=pk)
        return render(request, view.template_name, view.get_context_data(pk=pk, form=form), status=400)
