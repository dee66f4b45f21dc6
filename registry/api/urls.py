"""API routes under ``/api/`` (namespace ``api``): ``auth/token/``, ``use-cases/``, ``teams/``,
``vendors/``. The schema and its docs are routed in ``config/urls.py``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "api"

router = SimpleRouter()
router.register("use-cases", views.UseCaseViewSet, basename="use-case")
router.register("teams", views.TeamViewSet, basename="team")
router.register("vendors", views.VendorViewSet, basename="vendor")

urlpatterns = [
    path("auth/token/", views.AuthTokenView.as_view(), name="auth_token"),
    *router.urls,
]
