"""API routes under ``/api/`` (namespace ``api``): ``use-cases/``, ``teams/``, ``vendors/``. The
schema, its docs and the token login (``auth/token/``, ``accounts.api``) are routed in
``config/urls.py``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import incidents, library, reviews, stats, views

app_name = "api"

router = SimpleRouter()
router.register("use-cases", views.UseCaseViewSet, basename="use-case")
router.register("teams", views.TeamViewSet, basename="team")
router.register("vendors", views.VendorViewSet, basename="vendor")
router.register("reviews", reviews.ReviewViewSet, basename="review")
router.register("history", reviews.HistoryViewSet, basename="history")
router.register("incidents", incidents.IncidentViewSet, basename="incident")
router.register("library", library.LibraryEntryViewSet, basename="library-entry")
router.register("foundation-documents", library.FoundationDocumentViewSet, basename="foundation-document")

urlpatterns = [
    # The shared library's actions on a use case (issue 6), beside the use-case viewset's routes.
    path("use-cases/<int:pk>/promote/", library.UseCasePromoteView.as_view(), name="use-case-promote"),
    path("use-cases/<int:pk>/usage/", library.UseCaseUsageView.as_view(), name="use-case-usage"),
    path("who-built-what/", incidents.WhoBuiltWhatAPIView.as_view(), name="who-built-what"),
    # The dashboard's figures (issue 9).
    path("stats/", stats.StatsView.as_view(), name="stats"),
    *router.urls,
]
