"""API routes under ``/api/`` (namespace ``api``): ``use-cases/``, ``teams/``, ``vendors/``. The
schema, its docs and the token login (``auth/token/``, ``accounts.api``) are routed in
``config/urls.py``."""

from rest_framework.routers import SimpleRouter

from . import reviews, views

app_name = "api"

router = SimpleRouter()
router.register("use-cases", views.UseCaseViewSet, basename="use-case")
router.register("teams", views.TeamViewSet, basename="team")
router.register("vendors", views.VendorViewSet, basename="vendor")
router.register("reviews", reviews.ReviewViewSet, basename="review")
router.register("history", reviews.HistoryViewSet, basename="history")

urlpatterns = [
    *router.urls,
]
