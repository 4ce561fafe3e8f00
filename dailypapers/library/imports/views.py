"""The import pages: the form (``/import``) and the report (``/import/<id>``, its owner's)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from dailypapers.library.models import ImportEntry, LibraryImport

from .forms import ImportForm
from .job import summary
from .tasks import run_import

PER_PAGE = 200
SHOWN = {
    "all": Q(),
    "added": Q(outcome=ImportEntry.Outcome.ADDED),
    "already": Q(outcome=ImportEntry.Outcome.ALREADY),
    "not-found": Q(outcome__in=(ImportEntry.Outcome.NOT_FOUND, ImportEntry.Outcome.UNREADABLE)),
}


def _start(job: LibraryImport) -> None:
    transaction.on_commit(lambda: run_import.enqueue(job.pk))


@login_required
@require_http_methods(["GET", "POST"])
def new_import(request: HttpRequest) -> HttpResponse:
    assert request.user.is_authenticated
    form = ImportForm(request.user, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            job = form.save()
            _start(job)
        return redirect("import_report", import_id=job.pk)
    recent = LibraryImport.objects.filter(owner_id=request.user.pk).select_related("collection")
    status = 400 if form.errors else 200
    context = {"form": form, "recent": recent[:10]}
    return render(request, "library/import_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, import_id: int) -> HttpResponse:
    job = get_object_or_404(
        LibraryImport.objects.select_related("collection"), pk=import_id, owner_id=request.user.pk
    )
    resumable = job.resumable
    if request.method == "POST":
        if resumable and request.POST.get("action") == "resume":
            with transaction.atomic():
                LibraryImport.objects.filter(pk=job.pk).update(
                    state=LibraryImport.State.QUEUED, error="", step=""
                )
                _start(job)
        return redirect("import_report", import_id=job.pk)
    context = {"job": job, "counts": summary(job), "resumable": resumable}
    if request.headers.get("HX-Request") and request.GET.get("part") == "progress":
        response = render(request, "library/_import_progress.html", context)
        if job.finished:
            response["HX-Refresh"] = "true"  # the whole report, now that it is complete
        return response
    shown = request.GET.get("show", "all")
    if shown not in SHOWN:
        shown = "all"
    entries = job.entries.filter(SHOWN[shown]).select_related("paper").order_by("position")
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    context.update({"page": page, "shown": shown})
    return render(request, "library/import_report.html", context)
