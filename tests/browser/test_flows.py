"""A reader's whole day in Chromium: sign up, confirm, submit, upvote, comment, reply, edit,
moderate; every page photographed at 390 and 1440 px and scanned for accessibility."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from dailypapers.community.models import Comment, DailyEntry, Vote
from tests.community.helpers import make_entry, make_paper, make_user

from .conftest import open_menu, shoot

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery-7"


def test_sign_up_submit_vote_comment_reply_moderate(live_server, browser, inbox):
    url = live_server.url
    featured = make_entry(
        title=r"Sparse attention in $O(n \log n)$ time",
        abstract=r"We show that $\sum_i x_i^2$ is small. Code at https://github.com/x/y.",
    )
    fresh = make_paper(title="A paper to submit", abstract="Fresh results $a+b$.")
    make_user("moderator", moderator=True)

    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()

    # sign up, then confirm through the link in the real email
    page.goto(f"{url}/accounts/signup/")
    page.get_by_label("Email", exact=True).fill("reader@example.org")
    page.get_by_label("Username", exact=True).fill("reader")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(re.compile(r".*/accounts/confirm-email/"))
    assert len(inbox.messages) == 1
    page.goto(url + inbox.link(inbox.messages[0], "/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state("load")
    open_menu(page)  # 390 px: the header's links are in its menu
    assert page.get_by_role("link", name="reader", exact=True).is_visible()

    # submit a paper by URL
    page.get_by_role("link", name="Submit").first.click()
    page.get_by_label("arXiv id or URL").fill(f"https://arxiv.org/abs/{fresh.arxiv_id}v1")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(f"{url}/papers/{fresh.arxiv_id}")
    assert "is in today" in page.content()
    assert DailyEntry.objects.get(paper=fresh).submitted_by.username == "reader"

    # upvote from the home page: htmx swaps the button, the page does not reload
    page.goto(url + "/")
    page.evaluate("window.notReloaded = true")
    button = page.locator(f"form[action='/vote/{featured.pk}'] button")
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(f"form[action='/vote/{featured.pk}'] button[aria-pressed='true']")
    assert page.evaluate("window.notReloaded") is True
    assert page.locator(f"form[action='/vote/{featured.pk}'] .count").inner_text() == "1"
    assert Vote.objects.filter(paper=featured.paper).count() == 1

    # comment with Markdown and math, then reply
    page.goto(f"{url}/papers/{featured.paper.arxiv_id}")
    page.wait_for_selector("h1 .katex")  # the title's LaTeX is rendered by KaTeX
    page.get_by_label("Add a comment").fill("Is **this** right: $x_1 + y_2$?")
    page.get_by_role("button", name="Comment", exact=True).click()
    page.wait_for_selector(".comment-body strong")
    first = Comment.objects.get()
    page.locator(f"#c{first.pk} summary").click()
    page.get_by_label("Reply to reader").fill("Answering myself.")
    page.get_by_role("button", name="Reply", exact=True).click()
    page.wait_for_selector(".replies .comment-body")
    assert Comment.objects.filter(parent=first).count() == 1

    # edit the comment: it says "edited", and its author can open the earlier version
    page.locator(f"#c{first.pk} > .comment-actions a", has_text="Edit").click()
    page.get_by_label("Comment (Markdown and math)").fill("Is **this** right: $x_1 + y_3$?")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector(f"#c{first.pk} > .comment-head .edited")
    history = page.locator(f"#c{first.pk} > details.history")
    assert not history.locator(".revision").is_visible()
    history.locator("summary").focus()
    page.keyboard.press("Enter")
    assert history.locator(".revision").is_visible()
    assert "Version 1" in history.locator(".revision").inner_text()
    assert history.locator(".revision annotation").text_content() == "x_1 + y_2"  # KaTeX's
    reader_state = context.storage_state()
    context.close()

    # a moderator hides the reply and unfeatures the paper, from the page
    moderator = browser.new_context(viewport={"width": 1440, "height": 900})
    mpage = moderator.new_page()
    mpage.goto(f"{url}/accounts/login/")
    mpage.fill("#id_login", "moderator")
    mpage.fill("#id_password", "a-long-password-1")
    mpage.get_by_role("button", name="Log in").click()
    mpage.wait_for_load_state("load")
    mpage.goto(f"{url}/papers/{featured.paper.arxiv_id}")
    reply = Comment.objects.get(parent=first)
    mpage.locator(f"#c{reply.pk} button[value='hide']").click()
    mpage.wait_for_selector("text=Comment hidden.")
    mpage.get_by_label("Reason (kept in the audit trail)").fill("off topic")
    mpage.get_by_role("button", name="Unfeature").click()
    mpage.wait_for_selector("text=Paper unfeatured.")
    assert Comment.objects.get(pk=reply.pk).hidden
    assert DailyEntry.objects.get(pk=featured.pk).hidden
    moderator_state = moderator.storage_state()
    moderator.close()
    DailyEntry.objects.filter(pk=featured.pk).update(hidden=False)

    # every page, both widths, light and dark; axe-core finds nothing serious
    today = timezone.localdate()
    iso = today.isocalendar()
    pages = {
        "home": "/",
        "day": f"/papers/date/{today.isoformat()}",
        "empty-day": "/papers/date/2020-01-04",
        "week": f"/papers/week/{iso[0]}-W{iso[1]:02d}",
        "month": f"/papers/month/{today:%Y-%m}",
        "trending": "/papers/trending",
        "paper": f"/papers/{featured.paper.arxiv_id}",
        "profile": "/u/reader",
        "profile-comments": "/u/reader?tab=comments",
        "login": "/accounts/login/",
        "signup": "/accounts/signup/",
        "password-reset": "/accounts/password/reset/",
    }
    problems = []
    for name, path in pages.items():
        problems += shoot(browser, url + path, name)
    problems += shoot(browser, url + "/submit", "submit", storage_state=reader_state)
    problems += shoot(
        browser, f"{url}/comments/{first.pk}/edit", "edit", storage_state=reader_state
    )
    problems += shoot(
        browser,
        f"{url}/papers/{featured.paper.arxiv_id}",
        "paper-moderator",
        storage_state=moderator_state,
    )
    problems += shoot(
        browser,
        f"{url}/papers/{featured.paper.arxiv_id}",
        "paper-author",
        storage_state=reader_state,
    )
    assert problems == []
