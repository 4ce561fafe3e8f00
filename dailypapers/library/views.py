"""Your papers: save and mark read from any card, collections with notes and their order,
public collection pages, exports, and what lists and search hide. Every change is a POST
that works as a plain form (back to ``next``) and, from htmx, swaps the buttons in place."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST, require_safe

from dailypapers.catalog.models import Paper

from . import services
from .export import Cited, to_bibtex, to_csl_json
from .models import Collection, CollectionItem
from .models.collections import READING_LIST_NAME
from .services import LibraryRefused

NEXT_MAX = 2000


def _member(request: HttpRequest) -> User:
    return cast(User, request.user)


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "") or request.GET.get("next", "")
    if len(target) > NEXT_MAX or not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return default
    return target


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(_next(request, default))


def _htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


def _to_login(request: HttpRequest, default: str) -> HttpResponse:
    """A visitor who pressed a button: to log in, then back where they were."""
    login = f"{reverse('account_login')}?{urlencode({'next': _next(request, default)})}"
    if _htmx(request):
        return HttpResponse(status=204, headers={"HX-Redirect": login})
    return HttpResponseRedirect(login)


def _paper_url(paper: Paper) -> str:
    return reverse("paper", args=[paper.arxiv_id])


def _refused(request: HttpRequest, exc: LibraryRefused, default: str) -> HttpResponse:
    if _htmx(request):
        return render(request, "library/refused.html", {"message": str(exc)}, status=400)
    messages.error(request, str(exc))
    return _back(request, default)


# --- from any card: save, mark read ---------------------------------------------------------


@require_POST
def save(request: HttpRequest, paper_id: int) -> HttpResponse:
    paper = get_object_or_404(Paper, pk=paper_id)
    if not request.user.is_authenticated:
        return _to_login(request, _paper_url(paper))
    if request.POST.get("action") == "remove":
        services.unsave(_member(request), paper)
        done = "Removed from your reading list."
    else:
        services.save(_member(request), paper)
        done = "Saved to your reading list."
    if _htmx(request):
        return render(request, "library/_save.html", {"paper": paper})
    messages.success(request, done)
    return _back(request, _paper_url(paper))


@require_POST
def read(request: HttpRequest, paper_id: int) -> HttpResponse:
    paper = get_object_or_404(Paper, pk=paper_id)
    if not request.user.is_authenticated:
        return _to_login(request, _paper_url(paper))
    services.mark_read(_member(request), paper, read=request.POST.get("action") != "unread")
    if _htmx(request):
        return render(request, "library/_save.html", {"paper": paper})
    return _back(request, _paper_url(paper))


@require_POST
def hide(request: HttpRequest) -> HttpResponse:
    """The lists' and search's "hide papers I've read / saved" choice."""
    if not request.user.is_authenticated:
        return _to_login(request, reverse("home"))
    if request.POST.get("show"):
        services.set_hiding(_member(request), hide_read=False, hide_saved=False)
    else:
        services.set_hiding(
            _member(request),
            hide_read=bool(request.POST.get("hide_read")),
            hide_saved=bool(request.POST.get("hide_saved")),
        )
    return _back(request, reverse("home"))


# --- pages ----------------------------------------------------------------------------------


@login_required
@require_safe
def saved(request: HttpRequest) -> HttpResponse:
    """The reading list (an empty page until the first save: a GET makes nothing)."""
    user = _member(request)
    found = Collection.objects.filter(owner=user, is_reading_list=True).first()
    collection = found or Collection(owner=user, name=READING_LIST_NAME)
    collection.is_reading_list = True
    return _collection_page(request, collection, owner=True)


@login_required
def collections(request: HttpRequest) -> HttpResponse:
    """Every collection of the reader, with counts; POST makes a new one."""
    user = _member(request)
    error, values = "", {"name": "", "description": "", "public": False}
    if request.method == "POST":
        values = {
            "name": request.POST.get("name", ""),
            "description": request.POST.get("description", ""),
            "public": bool(request.POST.get("public")),
        }
        try:
            made = services.create_collection(
                user,
                str(values["name"]),
                str(values["description"]),
                public=bool(values["public"]),
            )
        except LibraryRefused as exc:
            error = str(exc)
        else:
            messages.success(request, f"Collection “{made.name}” created.")
            return HttpResponseRedirect(_collection_url(made))
    elif request.method not in {"GET", "HEAD"}:
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    context = {
        "collections": list(services.collections_of(user)),
        "error": error,
        "values": values,
        "limits": _limits(),
    }
    return render(request, "library/collections.html", context, status=400 if error else 200)


def _limits() -> dict[str, int]:
    return {
        "name": services.NAME_MAX,
        "description": services.DESCRIPTION_MAX,
        "note": services.NOTE_MAX,
    }


def _collection_url(collection: Collection) -> str:
    if collection.is_reading_list:
        return reverse("library:saved")
    return reverse("library:collection", args=[collection.owner.get_username(), collection.slug])


def _visible(request: HttpRequest, username: str, slug: str) -> Collection:
    """The collection at this address if the requester may read it: public, or theirs."""
    found = (
        Collection.objects.select_related("owner")
        .filter(owner__username=username, slug=slug)
        .first()
    )
    if found is None or not (found.is_public or found.owner_id == request.user.pk):
        raise Http404("no such collection")
    return found


@require_safe
def collection(request: HttpRequest, username: str, slug: str) -> HttpResponse:
    found = _visible(request, username, slug)
    return _collection_page(request, found, owner=found.owner_id == request.user.pk)


def _collection_page(request: HttpRequest, found: Collection, *, owner: bool) -> HttpResponse:
    items = services.items_of(found) if found.pk else []
    context = {
        "collection": found,
        "items": items,
        "owner": owner,
        "url": _collection_url(found) if found.pk else reverse("library:saved"),
        "limits": _limits(),
    }
    return render(request, "library/collection.html", context)


@require_safe
def export(request: HttpRequest, username: str, slug: str, fmt: str) -> HttpResponse:
    found = _visible(request, username, slug)
    cited = [Cited.of(item.paper, item.note) for item in services.items_of(found)]
    if fmt == "bib":
        body, content_type = to_bibtex(cited), "application/x-bibtex; charset=utf-8"
    elif fmt == "json":
        body, content_type = to_csl_json(cited), "application/vnd.citationstyles.csl+json"
    else:
        raise Http404("no such format")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.slug}.{fmt}"'
    return response


# --- changing a collection ------------------------------------------------------------------


def _owned(request: HttpRequest, pk: int) -> Collection:
    try:
        return services.owned(request.user, pk)
    except Collection.DoesNotExist:
        raise Http404("no such collection") from None


def _item(request: HttpRequest, pk: int) -> CollectionItem:
    try:
        return services.item_of(request.user, pk)
    except CollectionItem.DoesNotExist:
        raise Http404("no such paper in your collections") from None


@login_required
@require_POST
def edit_collection(request: HttpRequest, pk: int) -> HttpResponse:
    found = _owned(request, pk)
    try:
        services.update_collection(
            found,
            name=request.POST.get("name", found.name),
            description=request.POST.get("description", ""),
            public=bool(request.POST.get("public")),
        )
    except LibraryRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Collection saved.")
    return HttpResponseRedirect(_collection_url(found))


@login_required
@require_POST
def delete_collection(request: HttpRequest, pk: int) -> HttpResponse:
    found = _owned(request, pk)
    try:
        services.delete_collection(found)
    except LibraryRefused as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(_collection_url(found))
    messages.success(request, f"Collection “{found.name}” deleted.")
    return HttpResponseRedirect(reverse("library:collections"))


@require_POST
def add_to_collection(request: HttpRequest, paper_id: int) -> HttpResponse:
    """The paper page's "Add to collection": one of the reader's, or a new one named here."""
    paper = get_object_or_404(Paper, pk=paper_id)
    back = _paper_url(paper)
    if not request.user.is_authenticated:
        return _to_login(request, back)
    choice = request.POST.get("collection", "")
    try:
        if choice == "new":
            target = services.create_collection(_member(request), request.POST.get("name", ""))
        elif choice.isascii() and choice.isdigit() and len(choice) < 19:
            target = _owned(request, int(choice))
        else:
            raise LibraryRefused("Choose a collection.")
    except LibraryRefused as exc:
        return _refused(request, exc, back)
    added = services.add(target, paper)
    words = "Added to" if added else "Already in"
    messages.success(request, f"{words} “{target.name}”.")
    return _back(request, back)


@login_required
@require_POST
def note(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    url = _collection_url(item.collection) + f"#item-{item.pk}"
    try:
        services.set_note(item, request.POST.get("note", ""))
    except LibraryRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Note saved.")
    return HttpResponseRedirect(url)


@login_required
@require_POST
def move(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    direction = request.POST.get("direction")
    if direction not in {"up", "down"}:
        messages.error(request, "Move it up or down.")
    else:
        services.move(item, up=direction == "up")
    return HttpResponseRedirect(_collection_url(item.collection) + f"#item-{item.pk}")


@login_required
@require_POST
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    services.remove(item.collection, item.paper)
    messages.success(request, f"Removed “{item.paper.title[:80]}”.")
    return HttpResponseRedirect(_collection_url(item.collection))
