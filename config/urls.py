"""The registry's URLs: pages, the API, its schema and docs, health."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from registry.views import healthz

urlpatterns = [
    path("", include("registry.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/", include("registry.api.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
