"""The person's own pages: the profile (teams, roles, API tokens), token revocation, logout.

Password change uses Django's own views (``accounts/urls.py``) with our templates.
"""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views import View
from django.views.decorators.cache import never_cache

from .forms import ApiTokenForm
from .tokens import api_token_create, api_token_revoke, api_tokens_of

TEMPLATE = "accounts/profile.html"


class ProfileView(LoginRequiredMixin, View):
    """``/accounts/profile/``: who I am, my teams and roles, my API tokens.

    GET shows the page. POST creates a token and answers 201 with the page (or, for htmx, its
    token section) showing the new key once: the key is in this response only, never stored,
    and a later GET does not show it. An invalid form answers 200 with its errors.
    """

    def get(self, request):
        return self.render(request, ApiTokenForm())

    def post(self, request):
        form = ApiTokenForm(request.POST)
        if not form.is_valid():
            return self.render(request, form)
        created = api_token_create(
            user=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at
        )
        return self.render(request, ApiTokenForm(), created=created, status=201)

    def render(self, request, form, *, created=None, status=200):
        user = request.user
        context = {
            "person": user,
            "memberships": user.memberships.select_related("team__parent").order_by("team__name"),
            "role_groups": user.groups.order_by("name").values_list("name", flat=True),
            "tokens": api_tokens_of(user),
            "form": form,
            "created": created,
        }
        htmx = getattr(request, "htmx", None)
        template = f"{TEMPLATE}#api-tokens" if htmx and not htmx.history_restore_request else TEMPLATE
        response = TemplateResponse(request, template, context, status=status)
        if created is not None:
            # The only copy of the key: keep it out of every cache, the browser's included.
            response["Cache-Control"] = "no-store"
        return response


class ApiTokenRevokeView(LoginRequiredMixin, View):
    """``POST /accounts/tokens/<id>/revoke/``: revoke one of my tokens, back to the profile.

    Another person's token answers 404 (as a missing one does).
    """

    http_method_names = ["post"]

    def post(self, request, pk):
        token = get_object_or_404(api_tokens_of(request.user), pk=pk)
        already = token.revoked_at is not None
        api_token_revoke(token=token)
        if not already:
            messages.success(request, f"Token “{token.name}” ({token.prefix}…) is revoked: it works no more.")
        return redirect("accounts:profile")


profile = never_cache(ProfileView.as_view())


class LogoutView(auth_views.LogoutView):
    """Django's logout (POST only), then the login page with a note that it worked."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You have logged out.")
        return response
