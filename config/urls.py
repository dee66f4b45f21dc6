"""The registry's URLs: pages, the API, its schema and docs, health."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.api import ApiTokenLoginView
from accounts.views import LogoutView
from registry.health import healthz

urlpatterns = [
    path("", include("registry.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    # The schema and its docs come before the API's own routes; named without a namespace
    # because templates/base.html links {% url 'api_docs' %}.
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves its init script from a URL instead of inline, ready for a strict
    # Content-Security-Policy; Swagger UI's assets come from drf-spectacular-sidecar (static/).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    # The token login (a contract for scripts: URL and answers unchanged since issue 2).
    path("api/auth/token/", ApiTokenLoginView.as_view(), name="api_auth_token"),
    path("api/", include("registry.api.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
