"""The registry's pages (the API lives in ``registry.api.urls``)."""

from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("", views.home, name="home"),
    path("use-cases/", views.UseCaseListView.as_view(), name="use_case_list"),
    path("use-cases/export.csv", views.UseCaseExportView.as_view(), name="use_case_export"),
    # Registering and editing (issue 4); the live helpers answer POSTs only (what is typed
    # never lands in a URL or an access log).
    path("use-cases/new/", views.UseCaseFormView.as_view(), name="use_case_create"),
    path("use-cases/<int:pk>/edit/", views.UseCaseFormView.as_view(), name="use_case_edit"),
    path("use-cases/<int:pk>/submit/", views.UseCaseSubmitView.as_view(), name="use_case_submit"),
    path("use-cases/risk-preview/", views.UseCaseRiskPreviewView.as_view(), name="use_case_risk_preview"),
    path("use-cases/similar/", views.UseCaseSimilarView.as_view(), name="use_case_similar"),
    path("use-cases/picker/", views.UseCasePickerView.as_view(), name="use_case_picker"),
    path("my/use-cases/", views.MyUseCasesView.as_view(), name="my_use_cases"),
    path("my/team/", views.MyTeamUseCasesView.as_view(), name="my_team_use_cases"),
    path("use-cases/<int:pk>/", views.UseCaseDetailView.as_view(), name="use_case_detail"),
    path("use-cases/<int:pk>/retire/", views.UseCaseRetireView.as_view(), name="use_case_retire"),
    path("use-cases/<int:pk>/owners/", views.UseCaseOwnersView.as_view(), name="use_case_owners"),
    path(
        "use-cases/<int:pk>/accept-ownership/",
        views.UseCaseAcceptOwnershipView.as_view(),
        name="use_case_accept_ownership",
    ),
    path("reviews/", views.ReviewQueueView.as_view(), name="review_queue"),
    path("reviews/<int:pk>/", views.ReviewDetailView.as_view(), name="review_detail"),
    path("reviews/<int:pk>/<slug:action>/", views.ReviewActionView.as_view(), name="review_action"),
    # The central team's dashboard (issue 9) and its per-panel CSV exports.
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("dashboard/<slug:panel>.csv", views.DashboardExportView.as_view(), name="dashboard_export"),
    path("ownership-gaps/", views.OwnershipGapsView.as_view(), name="ownership_gaps"),
    path("people/<str:username>/", views.PersonDetailView.as_view(), name="person_detail"),
    path("credentials/<int:pk>/", views.CredentialDetailView.as_view(), name="credential_detail"),
    path("teams/", views.TeamListView.as_view(), name="team_list"),
    path("teams/<slug:slug>/", views.TeamDetailView.as_view(), name="team_detail"),
    path("vendors/", views.VendorListView.as_view(), name="vendor_list"),
    path("vendors/<slug:slug>/", views.VendorDetailView.as_view(), name="vendor_detail"),
    # Incident response (issue 7): who built what, the architecture maps, incidents.
    path("who-built-what/", views.WhoBuiltWhatView.as_view(), name="who_built_what"),
    path("who-built-what/find/", views.WhoBuiltWhatFindView.as_view(), name="who_built_what_find"),
    path(
        "use-cases/<int:pk>/architecture/",
        views.UseCaseArchitectureView.as_view(),
        name="use_case_architecture",
    ),
    path("teams/<slug:slug>/connections/", views.TeamConnectionsView.as_view(), name="team_connections"),
    path("incidents/", views.IncidentListView.as_view(), name="incident_list"),
    path("incidents/new/", views.IncidentOpenView.as_view(), name="incident_open"),
    path(
        "incidents/ack/<str:token>/",
        views.IncidentAcknowledgeLinkView.as_view(),
        name="incident_acknowledge_link",
    ),
    path("incidents/<int:pk>/", views.IncidentDetailView.as_view(), name="incident_detail"),
    path("incidents/<int:pk>/<slug:action>/", views.IncidentActionView.as_view(), name="incident_action"),
    # The shared library (issue 6): staff browse and adopt, curators promote and maintain.
    path("library/", views.LibraryListView.as_view(), name="library"),
    path("library/candidates/", views.LibraryCandidatesView.as_view(), name="library_candidates"),
    path("library/<int:pk>/", views.LibraryEntryDetailView.as_view(), name="library_entry_detail"),
    path("library/<int:pk>/adopt/", views.LibraryAdoptView.as_view(), name="library_adopt"),
    path("library/<int:pk>/edit/", views.LibraryEntryEditView.as_view(), name="library_entry_edit"),
    path("library/<int:pk>/deprecate/", views.LibraryDeprecateView.as_view(), name="library_deprecate"),
    path("library/<int:pk>/unlist/", views.LibraryUnlistView.as_view(), name="library_unlist"),
    path("use-cases/<int:pk>/promote/", views.UseCasePromoteView.as_view(), name="use_case_promote"),
    path("use-cases/<int:pk>/usage/", views.UseCaseUsageView.as_view(), name="use_case_usage"),
    path(
        "foundation-documents/",
        views.FoundationDocumentListView.as_view(),
        name="foundation_document_list",
    ),
    path(
        "foundation-documents/<int:pk>/",
        views.FoundationDocumentDetailView.as_view(),
        name="foundation_document_detail",
    ),
    path(
        "foundation-documents/<int:pk>/versions/",
        views.FoundationVersionPublishView.as_view(),
        name="foundation_version_publish",
    ),
]
