from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("", views.home, name="home"),
    path("use-cases/", views.UseCaseListView.as_view(), name="use_case_list"),
]
