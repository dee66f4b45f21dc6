"""Incident response pages: who built what (the query, its search box, CSV and printable
packet), the architecture maps it powers (a use case's up- and downstream, a team's
connections picture), and incidents (open, acknowledge, suspend, notes, resolve).

Thin views: ``registry.selectors.who_built_what`` and ``registry.selectors.incidents`` read,
``registry.services.incidents`` writes. Who may: the query and incidents are for incident
responders, security reviewers and admins (reviewers read incidents, responders and admins
work them); a person told about an incident sees their notice; everyone else gets a 404.
"""

import csv
import io
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views import View
from django.views.generic import TemplateView

from accounts.models import Team
from accounts.permissions import can_handle_incidents, standing_of

from ..exceptions import SecretValueError, TransitionNotAllowed
from ..forms.incidents import IncidentNoteForm, IncidentOpenForm, IncidentResolveForm, IncidentSuspendForm
from ..models import Incident, IncidentRecipient, UseCase
from ..secret_guard import secret_guard
from ..selectors.incidents import (
    incident_for_page,
    incident_log,
    incident_recipient_for_token,
    incidents_readable_by,
    incidents_visible_to,
)
from ..selectors.who_built_what import (
    DEFAULT_DEPTH,
    MAX_DEPTH,
    SUBJECT_KINDS,
    SubjectNotFound,
    WhoBuiltWhatAnswer,
    WhoBuiltWhatQuery,
    WhoBuiltWhatQueryError,
    team_connections_map,
    use_case_architecture,
    who_built_what,
    who_built_what_suggestions,
)
from ..services import incidents as incident_services
from .catalog import csv_safe

#: The CSV export's columns, in order (a contract: scripts read them by name).
WHO_BUILT_WHAT_CSV_COLUMNS = [
    "depth",
    "use_case_id",
    "use_case",
    "how",
    "path",
    "team",
    "team_leads",
    "owner",
    "owner_email",
    "owner_phone",
    "backup_owner",
    "backup_owner_email",
    "backup_owner_phone",
    "builders",
    "contact_email",
    "stage",
    "review_status",
    "risk_tier",
    "suspended",
    "credentials",
    "credential_storage",
    "data_sources",
    "vendors",
    "last_changed_at",
    "last_changed_by",
    "url",
]


def secret_in_search(request, text: str, *, channel: str = "form") -> str | None:
    """The guard's message if the search text looks like a secret (a responder pasting the
    leaked key itself), else None. The refusal is counted; the text is never echoed back.
    Search by the credential's name instead."""
    try:
        secret_guard({"q": text}, channel=channel, actor=request.user)
    except SecretValueError as error:
        return error.errors["q"]
    return None


def _readers_only(user) -> None:
    """The query is for those who read everything: responders, reviewers, admins."""
    if not standing_of(user).reads_everything:
        raise Http404("No such page.")


def _is_htmx(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _contact_text(contact) -> str:
    if contact is None:
        return ""
    parts = [contact.name]
    if contact.email:
        parts.append(f"<{contact.email}>")
    if contact.phone:
        parts.append(contact.phone)
    return " ".join(parts)


def answer_csv_rows(answer: WhoBuiltWhatAnswer):
    """The answer as CSV rows (header first), every cell made formula-safe."""
    yield WHO_BUILT_WHAT_CSV_COLUMNS
    for uc in answer.use_cases:
        row = [
            uc.depth,
            uc.id,
            uc.name,
            uc.how_text,
            uc.path_text,
            uc.team,
            "; ".join(_contact_text(c) for c in uc.team_leads),
            uc.owner.name if uc.owner else "",
            uc.owner.email if uc.owner else "",
            uc.owner.phone if uc.owner else "",
            uc.backup_owner.name if uc.backup_owner else "",
            uc.backup_owner.email if uc.backup_owner else "",
            uc.backup_owner.phone if uc.backup_owner else "",
            "; ".join(_contact_text(c) for c in uc.builders),
            uc.contact_email,
            uc.stage_label,
            uc.review_label,
            uc.risk_tier,
            uc.suspended_at.isoformat() if uc.suspended_at else "",
            "; ".join(c.name for c in uc.credentials),
            "; ".join(
                f"{c.name}: {c.storage_label}" + (f" ({c.vault_reference})" if c.vault_reference else "")
                for c in uc.credentials
                if c.details_shown
            ),
            "; ".join(f"{s.name} ({s.classification_label}, {s.access_label})" for s in uc.data_sources),
            "; ".join(uc.vendors),
            uc.last_changed_at.isoformat() if uc.last_changed_at else "",
            uc.last_changed_by,
            uc.url,
        ]
        yield [csv_safe(cell) for cell in row]


def _answer_filename(answer: WhoBuiltWhatAnswer, extension: str) -> str:
    stamp = timezone.localtime(answer.generated_at).strftime("%Y%m%d-%H%M")
    subject = answer.query.kind if answer.query.kind == "q" else f"{answer.query.kind}-{answer.query.value}"
    return f"who-built-what-{subject}-{stamp}.{extension}"


class WhoBuiltWhatView(LoginRequiredMixin, TemplateView):
    """``/who-built-what/``: one search box, then the answer for the object picked: every use
    case touching it, whom to call, and the blast radius. ``?format=csv`` downloads it,
    ``?format=print`` is the printable incident packet."""

    template_name = "registry/who_built_what.html"

    def get(self, request, *args, **kwargs):
        _readers_only(request.user)
        params = request.GET
        if not any((params.get(kind) or "").strip() for kind in SUBJECT_KINDS):
            if params.get("depth") or params.get("format"):
                return self._page(request, errors={"subject": ["Pick something to start from."]}, status=400)
            return self._page(request)
        refused = secret_in_search(request, params.get("q", ""))
        if refused:
            return self._page(request, errors={"q": [refused]}, status=400, text="")
        try:
            query = WhoBuiltWhatQuery.from_params(params)
            answer = who_built_what(user=request.user, query=query)
        except WhoBuiltWhatQueryError as error:
            return self._page(request, errors=error.errors, status=400)
        except SubjectNotFound as error:
            raise Http404(str(error)) from None
        output = params.get("format", "")
        if output == "csv":
            buffer = io.StringIO()
            csv.writer(buffer).writerows(answer_csv_rows(answer))
            response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{_answer_filename(answer, "csv")}"'
            return response
        if output == "print":
            return render(
                request, "registry/who_built_what_print.html", {"answer": answer, "printed_by": request.user}
            )
        return self._page(request, answer=answer)

    def _page(self, request, *, answer=None, errors=None, status=200, text=None):
        context = answer_page_context(request, answer, errors, text=text)
        return render(request, self.template_name, context, status=status)


def answer_page_context(request, answer, errors=None, open_form=None, *, text=None) -> dict:
    """What the who-built-what page shows (also re-rendered by a refused incident form).
    ``text``: what the search box shows (default: the ``q`` parameter)."""
    params = request.GET if request.method == "GET" else request.POST
    if text is None:
        text = (params.get("q") or "").strip()
    may_open = can_handle_incidents(request.user) and answer is not None and bool(answer.use_cases)
    return {
        "answer": answer,
        "errors": errors or {},
        "text": text,
        "suggestions": who_built_what_suggestions(user=request.user, text=text) if text else [],
        "depths": range(0, MAX_DEPTH + 1),
        "depth": answer.query.depth if answer else DEFAULT_DEPTH,
        "query_params": answer.query.as_params() if answer else {},
        "query_string": urlencode(answer.query.as_params()) if answer else "",
        "deeper_query_string": urlencode({**answer.query.as_params(), "depth": answer.query.depth + 1})
        if answer and answer.query.depth < MAX_DEPTH
        else "",
        "may_open_incident": may_open,
        "open_form": open_form or (IncidentOpenForm() if may_open else None),
        "people_to_notify": answer.people_to_notify() if answer else [],
        "mailboxes_to_notify": answer.mailboxes_to_notify() if answer else [],
    }


class WhoBuiltWhatFindView(LoginRequiredMixin, View):
    """``POST /who-built-what/find/`` (``q``): the search box's suggestions, grouped by kind
    (htmx). POST, so that what is typed never lands in a URL or an access log."""

    http_method_names = ["post"]

    def post(self, request):
        _readers_only(request.user)
        text = request.POST.get("q", "")
        refused = secret_in_search(request, text)
        context = (
            {"refused": refused, "text": ""}
            if refused
            else {
                "suggestions": who_built_what_suggestions(user=request.user, text=text),
                "text": text.strip(),
            }
        )
        return render(request, "registry/who_built_what.html#suggestions", context)


# --- architecture maps ------------------------------------------------------------------------


class UseCaseArchitectureView(LoginRequiredMixin, View):
    """``/use-cases/<pk>/architecture/?depth=3``: what feeds a use case and what it feeds,
    several levels each way. The use case's page loads it in place (htmx); without script
    the link opens it as a page. Anyone who may see the use case; hidden ones are left out."""

    def get(self, request, pk):
        try:
            use_case = UseCase.objects.restrict(request.user, "view").only("id", "name", "team_id").get(pk=pk)
        except UseCase.DoesNotExist:
            raise Http404("No use case with this id is visible to you.") from None
        depth_text = request.GET.get("depth", "")
        depth = int(depth_text) if depth_text.isdigit() else DEFAULT_DEPTH
        architecture = use_case_architecture(
            user=request.user, use_case=use_case, depth=min(depth, MAX_DEPTH)
        )
        template = "registry/who_built_what_architecture.html"
        response = render(
            request,
            f"{template}#map" if _is_htmx(request) else template,
            {"use_case": use_case, "architecture": architecture, "depths": range(1, MAX_DEPTH + 1)},
        )
        patch_vary_headers(response, ["HX-Request"])
        return response


class TeamConnectionsView(LoginRequiredMixin, View):
    """``/teams/<slug>/connections/``: the team's tools and their connections as a picture
    (server-rendered SVG) with the same connections listed beside it for screen readers."""

    def get(self, request, slug):
        try:
            team = Team.objects.select_related("parent").get(slug=slug)
        except Team.DoesNotExist:
            raise Http404("No team with this name.") from None
        picture = team_connections_map(user=request.user, team=team)
        template = "registry/who_built_what_team_map.html"
        response = render(
            request, f"{template}#map" if _is_htmx(request) else template, {"team": team, "picture": picture}
        )
        patch_vary_headers(response, ["HX-Request"])
        return response


# --- incidents --------------------------------------------------------------------------------


class IncidentListView(LoginRequiredMixin, TemplateView):
    """``/incidents/``: every incident, newest first (responders, reviewers, admins)."""

    template_name = "registry/incident_list.html"

    def get_context_data(self, **kwargs):
        if not incidents_readable_by(self.request.user):
            raise Http404("No such page.")
        incidents = list(incidents_visible_to(self.request.user)[:200])
        return super().get_context_data(
            incidents=incidents,
            open_count=sum(1 for i in incidents if i.status == Incident.Status.OPEN),
            can_handle=can_handle_incidents(self.request.user),
            **kwargs,
        )


class IncidentOpenView(LoginRequiredMixin, View):
    """``POST /incidents/new/``: open an incident from the who-built-what answer it was on
    (the answer's parameters travel with the form). A refused form shows the answer again."""

    http_method_names = ["post"]

    def post(self, request):
        if not can_handle_incidents(request.user):
            raise Http404("No such page.")
        try:
            query = WhoBuiltWhatQuery.from_params(request.POST)
        except WhoBuiltWhatQueryError as error:
            return render(
                request,
                "registry/who_built_what.html",
                answer_page_context(request, None, error.errors),
                status=400,
            )
        form = IncidentOpenForm(request.POST)
        form.guard_actor = request.user
        if form.is_valid():
            try:
                incident = incident_services.incident_open(
                    actor=request.user, query=query, **form.cleaned_data
                )
            except SubjectNotFound as error:
                raise Http404(str(error)) from None
            except ValidationError as error:
                for field_name, field_errors in error.message_dict.items():
                    for message in field_errors:
                        form.add_error(None if field_name == "__all__" else field_name, message)
            else:
                told = incident.recipients.count()
                messages.success(
                    request,
                    f"Incident opened: {incident.affected.count()} use cases recorded, "
                    f"{told} {'person' if told == 1 else 'people'} notified.",
                )
                return redirect("registry:incident_detail", pk=incident.pk)
        answer = who_built_what(user=request.user, query=query)
        return render(
            request,
            "registry/who_built_what.html",
            answer_page_context(request, answer, open_form=form),
            status=400,
        )


def _incident_or_404(user, pk):
    try:
        return incident_for_page(user=user, pk=pk)
    except Incident.DoesNotExist:
        raise Http404("No such incident.") from None


class IncidentDetailView(LoginRequiredMixin, TemplateView):
    """``/incidents/<pk>/``: the incident, the affected set as recorded, who has and has not
    acknowledged, suspensions, notes and the log. A recipient who reads no incidents sees
    their own notice and the Acknowledge button only."""

    template_name = "registry/incident_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        incident, own = _incident_or_404(user, kwargs["pk"])
        full = incidents_readable_by(user)
        context = {"incident": incident, "own_notice": own, "full": full}
        params = {k: v for k, v in (incident.query or {}).items() if k in SUBJECT_KINDS or k == "depth"}
        context["query_link"] = (
            f"{reverse('registry:who_built_what')}?{urlencode(params)}" if full and len(params) > 1 else ""
        )
        if full:
            recipients = list(incident.recipients.all())
            affected = list(incident.affected.all())
            can_handle = can_handle_incidents(user) and incident.status == Incident.Status.OPEN
            context.update(
                affected=affected,
                recipients=recipients,
                acknowledged=[r for r in recipients if r.acknowledged_at],
                waiting=[r for r in recipients if not r.acknowledged_at],
                log=list(incident_log(incident)[:200]),
                can_handle=can_handle_incidents(user),
                can_work=can_handle,
                suspended_count=sum(1 for link in affected if link.suspended_at),
                note_form=kwargs.get("note_form") or IncidentNoteForm(),
                resolve_form=kwargs.get("resolve_form") or IncidentResolveForm(),
                suspend_errors=kwargs.get("suspend_errors"),
            )
        return super().get_context_data(**context)


class IncidentActionView(LoginRequiredMixin, View):
    """``POST /incidents/<pk>/<action>/``: acknowledge (a recipient), suspend, unsuspend,
    note, resolve (responders and admins). Not allowed: 404; a resolved incident: 409."""

    ACTIONS = ("acknowledge", "suspend", "unsuspend", "note", "resolve")

    def post(self, request, pk, action):
        if action not in self.ACTIONS:
            raise Http404("No such action.")
        incident, own = _incident_or_404(request.user, pk)
        if action == "acknowledge":
            if own is None:
                raise Http404("You were not told about this incident.")
            done = incident_services.incident_acknowledge(recipient=own, actor=request.user)
            if done:
                messages.success(request, "Thank you: your acknowledgement is recorded.")
            else:
                messages.info(request, "You had already acknowledged this incident.")
            return redirect("registry:incident_detail", pk=pk)
        if not can_handle_incidents(request.user):
            raise Http404("No such action.")
        extra = {}
        try:
            if action in ("suspend", "unsuspend"):
                form = IncidentSuspendForm(request.POST, incident=incident)
                form.guard_actor = request.user
                if not form.is_valid():
                    extra["suspend_errors"] = [m for errors in form.errors.values() for m in errors]
                elif action == "suspend":
                    count = incident_services.incident_suspend(
                        incident=incident,
                        actor=request.user,
                        use_case_ids=form.cleaned_data["use_cases"],
                        reason=form.cleaned_data["reason"],
                    )
                    messages.success(request, f"{count} use case{'s' if count != 1 else ''} suspended.")
                else:
                    count = incident_services.incident_unsuspend(
                        incident=incident, actor=request.user, use_case_ids=form.cleaned_data["use_cases"]
                    )
                    messages.success(
                        request, f"Suspension lifted from {count} use case{'s' if count != 1 else ''}."
                    )
            elif action == "note":
                form = IncidentNoteForm(request.POST)
                form.guard_actor = request.user
                if form.is_valid():
                    incident_services.incident_add_note(
                        incident=incident, actor=request.user, **form.cleaned_data
                    )
                    messages.success(request, "Note added.")
                else:
                    extra["note_form"] = form
            else:
                form = IncidentResolveForm(request.POST)
                form.guard_actor = request.user
                if form.is_valid():
                    incident_services.incident_resolve(
                        incident=incident, actor=request.user, **form.cleaned_data
                    )
                    messages.success(request, "Incident resolved.")
                else:
                    extra["resolve_form"] = form
        except TransitionNotAllowed:
            messages.error(request, "This incident is resolved: nothing more can be changed on it.")
            return _render_incident(request, pk, status=409)
        except PermissionDenied:
            raise Http404("No such action.") from None
        except ValidationError as error:
            extra["suspend_errors"] = error.messages
        if extra:
            return _render_incident(request, pk, status=400, **extra)
        return redirect("registry:incident_detail", pk=pk)


def _render_incident(request, pk, *, status, **extra):
    view = IncidentDetailView()
    view.setup(request, pk=pk)
    return render(request, view.template_name, view.get_context_data(pk=pk, **extra), status=status)


class IncidentAcknowledgeLinkView(LoginRequiredMixin, View):
    """``/incidents/ack/<token>/``: the link in a notice. Only its recipient may use it
    (anyone else signed in gets a 404). GET shows the notice and an Acknowledge button (a
    link opened by a mail scanner changes nothing); POST acknowledges, once: a second use
    says it was already done."""

    template_name = "registry/incident_acknowledge.html"

    def _recipient(self, request, token) -> IncidentRecipient:
        try:
            return incident_recipient_for_token(token=token, user=request.user)
        except IncidentRecipient.DoesNotExist:
            raise Http404("This link is not yours, or it does not exist.") from None

    def get(self, request, token):
        recipient = self._recipient(request, token)
        return render(request, self.template_name, {"recipient": recipient, "incident": recipient.incident})

    def post(self, request, token):
        recipient = self._recipient(request, token)
        done = incident_services.incident_acknowledge(recipient=recipient, actor=request.user)
        recipient.refresh_from_db(fields=["acknowledged_at"])
        return render(
            request,
            self.template_name,
            {
                "recipient": recipient,
                "incident": recipient.incident,
                "just_acknowledged": done,
                "already": not done,
            },
        )
