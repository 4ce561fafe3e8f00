"""``/api/v1``'s writes: submit, vote, comment, save, collections and the digest
subscription, each with a personal read-and-write token (``write_auth``).

Each endpoint calls the verb its page calls (``community.submissions``, ``votes``,
``comments``, ``library.services``, ``digests.services``) under the same rate limits, and
answers a refusal as ``{"code", "message"}``: ``message`` is the page's words, ``code`` the
refusal's stable name (docs/api.md lists them). Papers are named by arXiv id."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.params.functions import Path
from pydantic import AfterValidator, ConfigDict, Field

from dailypapers.api.papers import AnyText  # noqa: F401 (registers the "anytext" path part)
from dailypapers.catalog.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.catalog.models import Paper
from dailypapers.community.comments import (
    CommentRefused,
    can_edit,
    delete_comment,
    edit_comment,
    post_comment,
)
from dailypapers.community.models import Comment, DailyEntry
from dailypapers.community.ratelimit import Rate, allow, requester
from dailypapers.community.submissions import SubmissionRefused
from dailypapers.community.submissions import submit as submit_paper
from dailypapers.community.votes import VoteRefused, toggle_vote
from dailypapers.digests import services as digests
from dailypapers.digests.forms import MemberOptionsForm
from dailypapers.digests.models import Subscription
from dailypapers.library import services as library
from dailypapers.library.models import Collection, CollectionItem
from dailypapers.library.services import LibraryRefused

from .base import ApiError, ErrorOut, error, v1, write_auth

router = Router(tags=["writing"], auth=write_auth)


MAX_ID = 2**63 - 1  # the database's largest key: a bigger number is no row, never an error
# What a text field may carry at all, well under the request size Django reads
# (DATA_UPLOAD_MAX_MEMORY_SIZE); the verbs' own limits are lower, so their words come back.
ID_MAX = 1000
TEXT_MAX = 100_000


def _no_surrogates(value: str) -> str:
    """JSON may carry a lone UTF-16 surrogate (``"\\ud800"``), which no database stores."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the text is not valid Unicode (a lone surrogate)") from None
    return value


Text = Annotated[str, AfterValidator(_no_surrogates)]


class Body(Schema):
    """A request body, read strictly: a number where the schema says a number (not
    ``true``), a boolean where it says a boolean (not ``"yes"``), as the schema promises."""

    model_config = ConfigDict(strict=True)


ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}
"""What every write may answer besides its success: a body that is not JSON (400), no
usable token (401), a read-only token
or a member who may not (403), no such paper or thing of theirs (404), a state that forbids
it (409), bad input (422), too many requests (429, from the page's limit or the API's)."""

# The status each refusal's code answers with; a code not named here is a 409.
STATUS = {
    "invalid_arxiv_id": 422,
    "arxiv_unreachable": 503,
    "paper_not_found": 404,
    "already_featured": 409,
    "suspended": 403,
    "email_unconfirmed": 403,
    "too_old": 422,
    "daily_cap_reached": 429,
    "not_featured": 409,
    "comment_empty": 422,
    "comment_nul": 422,
    "comment_too_long": 422,
    "cannot_reply": 409,
    "not_your_comment": 403,
    "name_empty": 422,
    "name_too_long": 422,
    "description_too_long": 422,
    "note_too_long": 422,
    "name_taken": 409,
    "reading_list_kept": 409,
    "try_again": 409,
}


class Limited(ApiError):
    """A 429 that says when to try again (``Retry-After``, in seconds)."""

    def __init__(self, code: str, message: str, retry_after: int) -> None:
        super().__init__(429, code, message)
        self.retry_after = retry_after


@v1.exception_handler(Limited)
def _limited(request: HttpRequest, exc: Limited) -> HttpResponse:
    response = error(request, exc.status, exc.code, exc.message)
    response["Retry-After"] = str(exc.retry_after)
    return response


def refused(exc: SubmissionRefused | VoteRefused | CommentRefused | LibraryRefused) -> ApiError:
    return ApiError(STATUS.get(exc.code, 409), exc.code, str(exc))


def _member(request: HttpRequest) -> User:
    return cast(User, request.user)


def _limit(request: HttpRequest, scope: str, rate: str) -> None:
    """The page's rate limit, counted with the page's (same scope, same member)."""
    if allow(scope, requester(request), rate):
        return
    parsed = Rate.parse(rate)
    raise Limited(
        "rate_limited",
        f"Too many requests: at most {parsed.describe()}. Please wait a little.",
        parsed.seconds,
    )


def _object_body(request: HttpRequest) -> None:
    """A body whose fields are all optional must still be a JSON object."""
    if not request.body.lstrip().startswith(b"{"):
        raise ApiError(422, "invalid", "The body must be a JSON object.")


def _paper(arxiv_id: str) -> Paper:
    """The catalogue's paper with this arXiv id (any version, or an arxiv.org URL)."""
    try:
        parsed = parse_arxiv_id(arxiv_id)
    except InvalidArxivId as exc:
        message = str(exc)
        raise ApiError(422, "invalid_arxiv_id", message[:1].upper() + message[1:] + ".") from None
    found = Paper.objects.filter(arxiv_id=parsed.id).first()
    if found is None:
        raise ApiError(404, "paper_not_found", f"No paper {parsed.id} in the catalogue.")
    return found


# --- submitting ------------------------------------------------------------------------------


class SubmitIn(Body):
    arxiv_id: Text = Field(
        ...,
        max_length=ID_MAX,
        description="An arXiv id (`2501.01234`, `hep-th/9901001`) or an arxiv.org URL.",
    )
    comment: Text | None = Field(
        None,
        max_length=TEXT_MAX,
        description="An optional first comment on the paper (Markdown, math between `$` "
        "signs), posted with the submission: both are taken or neither.",
    )


class SubmissionOut(Schema):
    """A paper featured on a day."""

    arxiv_id: str
    title: str
    day: date
    submitted_at: datetime
    submitted_by: str | None
    upvotes: int
    comments: int
    url: str


def entry_out(entry: DailyEntry) -> SubmissionOut:
    by = entry.submitted_by
    return SubmissionOut(
        arxiv_id=entry.paper.arxiv_id,
        title=entry.paper.title,
        day=entry.day,
        submitted_at=entry.submitted_at,
        submitted_by=by.get_username() if by is not None else (entry.submitted_by_name or None),
        upvotes=entry.upvotes,
        comments=entry.comment_count,
        url=reverse("paper", args=[entry.paper.arxiv_id]),
    )


def _until_tomorrow() -> int:
    now = timezone.localtime()
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time())
    return max(1, int((timezone.make_aware(midnight) - now).total_seconds()))


@router.post(
    "/submissions",
    response={201: SubmissionOut, **ERRORS, 503: ErrorOut},
    summary="Submit a paper to today's list",
)
def submit(request: HttpRequest, body: SubmitIn) -> Any:
    """Feature a paper today, by the submit page's rules: a confirmed email address, a paper
    recent enough, the daily cap, once per paper."""
    _limit(request, "submit", settings.RATE_SUBMIT)
    try:
        entry = submit_paper(body.arxiv_id, by=_member(request), comment=body.comment or "")
    except SubmissionRefused as exc:
        if exc.code == "daily_cap_reached":
            raise Limited(exc.code, str(exc), _until_tomorrow()) from None
        raise refused(exc) from None
    return Status(201, entry_out(entry))


# --- votes -----------------------------------------------------------------------------------


class VoteOut(Schema):
    arxiv_id: str
    voted: bool
    upvotes: int


def _vote(request: HttpRequest, arxiv_id: str, up: bool) -> VoteOut:
    paper = _paper(arxiv_id)
    entry = DailyEntry.objects.filter(paper=paper).first()
    if entry is None:
        raise ApiError(404, "not_featured", f"{paper.arxiv_id} has not been featured.")
    _limit(request, "vote", settings.RATE_VOTE)
    try:
        voted = toggle_vote(_member(request), entry, up=up)
    except VoteRefused as exc:
        raise refused(exc) from None
    return VoteOut(arxiv_id=paper.arxiv_id, voted=voted, upvotes=entry.upvotes)


@router.post(
    "/papers/{anytext:arxiv_id}/vote", response={200: VoteOut, **ERRORS}, summary="Upvote a paper"
)
def vote(request: HttpRequest, arxiv_id: str) -> Any:
    """Upvote a featured paper (voting twice counts once)."""
    return _vote(request, arxiv_id, True)


@router.delete(
    "/papers/{anytext:arxiv_id}/vote", response={200: VoteOut, **ERRORS}, summary="Take a vote back"
)
def unvote(request: HttpRequest, arxiv_id: str) -> Any:
    return _vote(request, arxiv_id, False)


# --- saving ----------------------------------------------------------------------------------


class SavedOut(Schema):
    arxiv_id: str
    saved: bool


@router.post(
    "/papers/{anytext:arxiv_id}/save",
    response={200: SavedOut, **ERRORS},
    summary="Save a paper to your reading list",
)
def save(request: HttpRequest, arxiv_id: str) -> Any:
    paper = _paper(arxiv_id)
    library.save(_member(request), paper)
    return SavedOut(arxiv_id=paper.arxiv_id, saved=True)


@router.delete(
    "/papers/{anytext:arxiv_id}/save",
    response={200: SavedOut, **ERRORS},
    summary="Take a paper out of your reading list",
)
def unsave(request: HttpRequest, arxiv_id: str) -> Any:
    paper = _paper(arxiv_id)
    library.unsave(_member(request), paper)
    return SavedOut(arxiv_id=paper.arxiv_id, saved=False)


# --- comments --------------------------------------------------------------------------------


class CommentIn(Body):
    arxiv_id: Text = Field(..., max_length=ID_MAX, description="The paper discussed.")
    body: Text = Field(..., max_length=TEXT_MAX, description="Markdown, with $math$.")
    parent: int | None = Field(None, ge=1, le=MAX_ID, description="The comment answered.")


class ReplyIn(Body):
    body: Text = Field(..., max_length=TEXT_MAX, description="Markdown, with $math$.")


class MyCommentOut(Schema):
    id: int
    arxiv_id: str
    parent: int | None
    author: str
    body: str
    body_html: str = Field(description="The body as the page shows it (sanitised HTML).")
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    url: str


def comment_out(comment: Comment) -> MyCommentOut:
    arxiv_id = comment.paper.arxiv_id
    return MyCommentOut(
        id=comment.pk,
        arxiv_id=arxiv_id,
        parent=comment.parent_id,
        author=comment.author.get_username(),
        body=comment.body,
        body_html=comment.body_html,
        created_at=comment.created_at,
        edited_at=comment.edited_at,
        deleted=comment.deleted_at is not None,
        url=reverse("paper", args=[arxiv_id]) + f"#c{comment.pk}",
    )


def _comment(comment_id: int) -> Comment:
    found = Comment.objects.select_related("paper", "author").filter(pk=comment_id).first()
    if found is None:
        raise ApiError(404, "comment_not_found", "No such comment.")
    return found


def _post(request: HttpRequest, paper: Paper, body: str, parent: Comment | None) -> Any:
    _limit(request, "comment", settings.RATE_COMMENT)
    try:
        made = post_comment(_member(request), paper, body, parent)
    except CommentRefused as exc:
        raise refused(exc) from None
    return Status(201, comment_out(made))


@router.post("/comments", response={201: MyCommentOut, **ERRORS}, summary="Comment on a paper")
def comment(request: HttpRequest, body: CommentIn) -> Any:
    """A comment on a paper's page, or a reply to one of its comments (``parent``)."""
    paper = _paper(body.arxiv_id)
    parent = None
    if body.parent is not None:
        parent = Comment.objects.filter(pk=body.parent, paper=paper).first()
        if parent is None:
            raise ApiError(404, "comment_not_found", "No such comment on this paper.")
    return _post(request, paper, body.body, parent)


@router.post(
    "/comments/{comment_id}/replies",
    response={201: MyCommentOut, **ERRORS},
    summary="Reply to a comment",
)
def reply(request: HttpRequest, body: ReplyIn, comment_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    parent = _comment(comment_id)
    return _post(request, parent.paper, body.body, parent)


@router.patch(
    "/comments/{comment_id}", response={200: MyCommentOut, **ERRORS}, summary="Edit your comment"
)
def edit(request: HttpRequest, body: ReplyIn, comment_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    """Replace your comment's text; the text it had is kept as a revision."""
    found = _comment(comment_id)
    if not can_edit(_member(request), found):
        raise ApiError(403, "not_your_comment", "You can only edit your own comments.")
    try:
        edit_comment(_member(request), found, body.body)
    except CommentRefused as exc:
        raise refused(exc) from None
    return comment_out(found)


@router.delete(
    "/comments/{comment_id}", response={200: MyCommentOut, **ERRORS}, summary="Delete your comment"
)
def delete(request: HttpRequest, comment_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    """Take your comment down; replies to it stay."""
    found = _comment(comment_id)
    try:
        delete_comment(_member(request), found)
    except CommentRefused as exc:
        raise refused(exc) from None
    return comment_out(found)


# --- collections -----------------------------------------------------------------------------


class CollectionIn(Body):
    name: Text = Field(..., max_length=TEXT_MAX)
    description: Text = Field("", max_length=TEXT_MAX)
    public: bool = False


class CollectionPatch(Body):
    """Only what is given changes."""

    name: Text | None = Field(None, max_length=TEXT_MAX)
    description: Text | None = Field(None, max_length=TEXT_MAX)
    public: bool | None = None


class MyCollectionOut(Schema):
    id: int
    name: str
    slug: str
    description: str
    public: bool
    reading_list: bool
    papers: int
    url: str


class MyItemOut(Schema):
    collection: int
    arxiv_id: str
    note: str
    position: int
    added: bool = Field(False, description="Whether this request added the paper.")


class NoteIn(Body):
    note: Text = Field(..., max_length=TEXT_MAX, description="Plain text; empty clears it.")


class Removed(Schema):
    collection: int
    arxiv_id: str
    removed: bool


class Deleted(Schema):
    id: int
    deleted: bool


def _collection_url(collection: Collection) -> str:
    if collection.is_reading_list:
        return reverse("library:saved")
    return reverse("library:collection", args=[collection.owner.get_username(), collection.slug])


def collection_out(collection: Collection) -> MyCollectionOut:
    count = getattr(collection, "paper_count", None)
    return MyCollectionOut(
        id=collection.pk,
        name=collection.name,
        slug=collection.slug,
        description=collection.description,
        public=collection.is_public,
        reading_list=collection.is_reading_list,
        papers=collection.items.count() if count is None else count,
        url=_collection_url(collection),
    )


def _owned(request: HttpRequest, pk: int) -> Collection:
    try:
        return library.owned(request.user, pk)
    except Collection.DoesNotExist:
        raise ApiError(404, "collection_not_found", "No such collection of yours.") from None


def _item(collection: Collection, paper: Paper) -> CollectionItem:
    found = CollectionItem.objects.filter(collection=collection, paper=paper).first()
    if found is None:
        raise ApiError(404, "not_in_collection", f"{paper.arxiv_id} is not in this collection.")
    return found


def item_out(item: CollectionItem, paper: Paper, *, added: bool = False) -> MyItemOut:
    return MyItemOut(
        collection=item.collection_id,
        arxiv_id=paper.arxiv_id,
        note=item.note,
        position=item.position,
        added=added,
    )


CollectionId = Path(..., ge=1, le=MAX_ID)


@router.get(
    "/me/collections",
    response={200: list[MyCollectionOut], **ERRORS},
    summary="Your collections",
)
def my_collections(request: HttpRequest) -> Any:
    """Every collection of yours, private ones too, the reading list first."""
    return [collection_out(c) for c in library.collections_of(_member(request))]


@router.post(
    "/me/collections", response={201: MyCollectionOut, **ERRORS}, summary="Create a collection"
)
def create_collection(request: HttpRequest, body: CollectionIn) -> Any:
    try:
        made = library.create_collection(
            _member(request), body.name, body.description, public=body.public
        )
    except LibraryRefused as exc:
        raise refused(exc) from None
    return Status(201, collection_out(made))


@router.patch(
    "/me/collections/{collection_id}",
    response={200: MyCollectionOut, **ERRORS},
    summary="Rename, describe, or make a collection public or private",
)
def update_collection(
    request: HttpRequest, body: CollectionPatch, collection_id: int = CollectionId
) -> Any:
    """Renaming changes the collection's public address (its slug)."""
    _object_body(request)
    found = _owned(request, collection_id)
    try:
        library.update_collection(
            found,
            name=found.name if body.name is None else body.name,
            description=found.description if body.description is None else body.description,
            public=found.is_public if body.public is None else body.public,
        )
    except LibraryRefused as exc:
        raise refused(exc) from None
    return collection_out(found)


@router.delete(
    "/me/collections/{collection_id}",
    response={200: Deleted, **ERRORS},
    summary="Delete a collection",
)
def delete_collection(request: HttpRequest, collection_id: int = CollectionId) -> Any:
    found = _owned(request, collection_id)
    pk = found.pk
    try:
        library.delete_collection(found)
    except LibraryRefused as exc:
        raise refused(exc) from None
    return Deleted(id=pk, deleted=True)


@router.put(
    "/me/collections/{collection_id}/papers/{anytext:arxiv_id}",
    response={200: MyItemOut, **ERRORS},
    summary="Add a paper to a collection",
)
def add_paper(request: HttpRequest, arxiv_id: str, collection_id: int = CollectionId) -> Any:
    """At the end of the collection; adding it again changes nothing."""
    found = _owned(request, collection_id)
    paper = _paper(arxiv_id)
    added = library.add(found, paper)
    return item_out(_item(found, paper), paper, added=added)


@router.patch(
    "/me/collections/{collection_id}/papers/{anytext:arxiv_id}",
    response={200: MyItemOut, **ERRORS},
    summary="Write the note on a paper in a collection",
)
def note(
    request: HttpRequest, arxiv_id: str, body: NoteIn, collection_id: int = CollectionId
) -> Any:
    found = _owned(request, collection_id)
    paper = _paper(arxiv_id)
    item = _item(found, paper)
    try:
        library.set_note(item, body.note)
    except LibraryRefused as exc:
        raise refused(exc) from None
    return item_out(item, paper)


@router.delete(
    "/me/collections/{collection_id}/papers/{anytext:arxiv_id}",
    response={200: Removed, **ERRORS},
    summary="Take a paper out of a collection",
)
def remove_paper(request: HttpRequest, arxiv_id: str, collection_id: int = CollectionId) -> Any:
    found = _owned(request, collection_id)
    paper = _paper(arxiv_id)
    _item(found, paper)
    library.remove(found, paper)
    return Removed(collection=found.pk, arxiv_id=paper.arxiv_id, removed=True)


# --- the digest subscription -----------------------------------------------------------------

NO_ADDRESS = "Confirm your email address first (email addresses); then you can subscribe here."
NOT_SUBSCRIBED = "You are not subscribed to the digest: subscribe first."


class DigestOut(Schema):
    address: str | None = Field(description="Your verified primary address, where mail goes.")
    subscribed: bool
    paused: bool = False
    bounced: bool = Field(default=False, description="Paused by the sender after bounces.")
    frequency: str | None = None
    weekday: int | None = Field(default=None, description="A weekly digest's day, 0 to 6.")
    hour: int | None = None
    time_zone: str | None = None
    categories: list[str] = []
    personal_picks: bool | None = None


class DigestIn(Body):
    """The settings page's options; what is left out keeps its current (or first) value."""

    frequency: Text | None = Field(None, max_length=ID_MAX, description="daily or weekly")
    weekday: int | None = Field(None, ge=-MAX_ID, le=MAX_ID, description="0 (Monday) to 6")
    hour: int | None = Field(None, ge=-MAX_ID, le=MAX_ID, description="Your local hour, 0 to 23")
    time_zone: Text | None = Field(None, max_length=ID_MAX, description="Such as Europe/Paris")
    categories: list[Annotated[Text, Field(max_length=ID_MAX)]] | None = Field(
        None, max_length=1000, description="Category codes"
    )
    personal_picks: bool | None = None


def _active(sub: Subscription | None) -> bool:
    return sub is not None and sub.confirmed_at is not None and sub.unsubscribed_at is None


def digest_out(user: User) -> DigestOut:
    address = digests.verified_address(user)
    sub = digests.member_subscription(user)
    if sub is None or not _active(sub):
        return DigestOut(address=address, subscribed=False)
    return DigestOut(
        address=address,
        subscribed=True,
        paused=sub.paused_at is not None,
        bounced=digests.is_bounce_pause(sub),
        frequency=sub.frequency,
        weekday=sub.weekday,
        hour=sub.hour,
        time_zone=sub.time_zone,
        categories=sorted(c.code for c in sub.categories.all()),
        personal_picks=sub.personal_picks,
    )


def _subscription(request: HttpRequest) -> Subscription:
    user = _member(request)
    if digests.verified_address(user) is None:
        raise ApiError(403, "email_unconfirmed", NO_ADDRESS)
    sub = digests.member_subscription(user)
    if sub is None or not _active(sub):
        raise ApiError(409, "not_subscribed", NOT_SUBSCRIBED)
    return sub


@router.get("/me/digest", response={200: DigestOut, **ERRORS}, summary="Your digest")
def my_digest(request: HttpRequest) -> Any:
    return digest_out(_member(request))


def _options(body: DigestIn, sub: Subscription | None) -> digests.Options:
    """The options, checked by the settings page's form (so its words come back)."""
    current = MemberOptionsForm.for_subscription(sub).initial
    given = body.model_dump()
    values = {k: (current.get(k) if given[k] is None else given[k]) for k in given}
    categories = [c if isinstance(c, str) else c.pk for c in values["categories"] or []]
    if any("\x00" in c for c in categories):
        raise ApiError(422, "invalid_option", "Choose categories from the list.")
    data: dict[str, Any] = {
        "frequency": values["frequency"],
        "weekday": str(values["weekday"]),
        "hour": str(values["hour"]),
        "time_zone": values["time_zone"],
        "categories": categories,
    }
    if values["personal_picks"]:
        data["personal_picks"] = "on"
    form = MemberOptionsForm(data)
    if not form.is_valid():
        problem = next(str(errors[0]) for errors in form.errors.values())
        raise ApiError(422, "invalid_option", problem)
    return form.options()


@router.put(
    "/me/digest", response={200: DigestOut, **ERRORS}, summary="Subscribe, or change options"
)
def set_digest(request: HttpRequest, body: DigestIn) -> Any:
    """Subscribe your verified address (at once: it is confirmed), or change the options of
    your subscription, as the settings page does."""
    _object_body(request)
    user = _member(request)
    if digests.verified_address(user) is None:
        raise ApiError(403, "email_unconfirmed", NO_ADDRESS)
    sub = digests.member_subscription(user)
    active = _active(sub)
    options = _options(body, sub if active else None)
    if active and sub is not None:
        digests.change(sub, options)
    else:
        digests.subscribe_member(user, options)
    return digest_out(user)


@router.post("/me/digest/pause", response={200: DigestOut, **ERRORS}, summary="Pause the digest")
def pause_digest(request: HttpRequest) -> Any:
    digests.pause(_subscription(request))
    return digest_out(_member(request))


@router.post("/me/digest/resume", response={200: DigestOut, **ERRORS}, summary="Resume it")
def resume_digest(request: HttpRequest) -> Any:
    digests.resume(_subscription(request))
    return digest_out(_member(request))


@router.delete("/me/digest", response={200: DigestOut, **ERRORS}, summary="Unsubscribe")
def unsubscribe_digest(request: HttpRequest) -> Any:
    digests.unsubscribe(_subscription(request))
    return digest_out(_member(request))
