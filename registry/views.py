from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.generic import ListView


def home(request):
    return redirect("registry:use_case_list")


class UseCaseListView(ListView):
    pass


def healthz(request):
    return JsonResponse({"status": "ok"})
