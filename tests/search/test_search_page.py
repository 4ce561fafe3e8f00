"""The search page: results with highlights, filters, sorting, paging, htmx and plain forms."""

import re

import pytest

pytestmark = pytest.mark.django_db


def titles(html: str) -> list[str]:
    return re.findall(r'<li class="search-result">\s*<h2><a href="/papers/([^"]+)"', html)


def test_results_open_the_papers_page_here_and_link_to_arxiv(client, indexed):
    html = client.get("/search", {"q": "quantum surface codes"}).content.decode()
    first = titles(html)[0]
    assert client.get(f"/papers/{first}").status_code == 200
    assert f'href="https://arxiv.org/abs/{first}"' in html


def test_results_with_highlights(client, indexed):
    page = client.get("/search", {"q": "quantum surface codes"})
    assert page.status_code == 200
    html = page.content.decode()
    found = titles(html)
    assert found and found[0] in indexed
    assert "<b>Quantum</b>" in html or "<b>quantum</b>" in html
    assert '<script src="/static/vendor/htmx/htmx.min.js" defer></script>' in html
    assert 'hx-get="/search"' in html and "delay:300ms" in html


def test_htmx_gets_only_the_results(client, indexed):
    part = client.get("/search", {"q": "diffusion"}, headers={"HX-Request": "true"})
    html = part.content.decode()
    assert part.status_code == 200
    assert "<form" not in html and "<html" not in html
    assert titles(html)


def test_filters(client, indexed):
    html = client.get("/search", {"q": "study", "cat": "cs.CV"}).content.decode()
    assert titles(html) and all(
        int(i.split(".")[1]) % 6 == 1 for i in titles(html)
    )  # the diffusion papers are the cs.CV ones
    coded = titles(client.get("/search", {"q": "study", "code": "on"}).content.decode())
    assert coded and all(int(i.split(".")[1]) % 4 == 0 for i in coded)
    dated = titles(
        client.get(
            "/search", {"q": "study", "date_from": "2025-01-05", "date_to": "2025-01-06"}
        ).content.decode()
    )
    assert sorted(dated) == ["2501.00004", "2501.00005"]


def test_sort_by_date_and_browse_without_query(client, indexed):
    html = client.get("/search", {"sort": "date"}).content.decode()
    found = titles(html)
    assert found[0] == "2501.00012" and len(found) == 12  # newest first, every paper
    by_date = titles(client.get("/search", {"q": "study", "sort": "date"}).content.decode())
    assert by_date[0] == "2501.00012"


def test_paging(client, add_papers, search_settings):
    from dailypapers.search import keeper

    add_papers(45)
    keeper.index_pending()
    first = client.get("/search", {"sort": "date"}).content.decode()
    second = client.get("/search", {"sort": "date", "page": "2"}).content.decode()
    third = client.get("/search", {"sort": "date", "page": "3"}).content.decode()
    assert len(titles(first)) == 20 and len(titles(second)) == 20 and len(titles(third)) == 5
    assert not set(titles(first)) & set(titles(second))
    assert 'rel="next" href="?sort=date&amp;page=2"' in first
    assert 'rel="prev"' in third and 'rel="next"' not in third


def test_no_match_gets_advice(client, indexed):
    html = client.get("/search", {"q": "zzyzx", "cat": "hep-th"}).content.decode()
    assert "No papers match" in html and "with these filters" in html
    assert "Check the spelling" in html


def test_progress_is_shown_while_embedding(client, add_papers, search_settings):
    from dailypapers.search import keeper

    add_papers(6)
    keeper.index_pending(embed_seconds=0)
    add_papers(2)
    html = client.get("/search", {"q": "study"}).content.decode()
    assert "2 new or changed papers waiting to be indexed" in html
    assert "covers 0 of 6 papers so far" in html
    assert titles(html)  # keyword results already


def test_the_form_works_without_javascript(client, indexed):
    html = client.get("/search").content.decode()
    assert '<form class="search-form" method="get" action="/search"' in html
    assert 'name="q"' in html and 'type="submit"' in html


def test_mode_select_and_a_bad_mode(client, indexed):
    """The page offers hybrid (the default), lexical and dense; a mode it does not know is
    named on the page (a 200 with hybrid results), never an error."""
    html = client.get("/search", {"q": "quantum surface codes"}).content.decode()
    assert '<select name="mode"' in html and '<option value="lexical"' in html
    lexical = client.get("/search", {"q": "quantum", "mode": "lexical"}).content.decode()
    assert titles(lexical) and 'value="lexical" selected' in lexical
    assert '<select name="mode" id="id_mode">' in lexical and "aria-invalid" not in lexical
    by_date = client.get("/search", {"q": "quantum", "sort": "date"}).content.decode()
    assert '<option value="date" selected>Date</option>' in by_date
    assert by_date.count(" selected>") == 1  # the mode: none chosen, the browser shows the first
    for bad in ("semantic", "<script>x</script>", "dense\x00"):
        page = client.get("/search", {"q": "quantum", "mode": bad})
        assert page.status_code == 200, bad
        html = page.content.decode()
        assert "is not a search mode" in html and titles(html), bad
        # the select says it is wrong, and where the page says why
        assert '<select name="mode" aria-invalid="true" aria-describedby="mode-error"' in html
        assert 'id="mode-error" role="alert"' in html
        assert "<script>x</script>" not in html


def test_no_match_says_so_and_links_the_help_page(client, indexed):
    html = client.get("/search", {"q": "qwxz blorft vemp", "mode": "lexical"}).content.decode()
    assert not titles(html) and "No papers match" in html
    assert 'href="/search/help"' in html
    help_page = client.get("/search/help")
    assert help_page.status_code == 200 and b"Query language" in help_page.content


def test_a_visitor_logs_in_from_each_card_and_comes_back_here(client, indexed):
    """Every card's Save offers a visitor the log-in page, with this page (query, filters and
    all) to come back to; the address is made once per page."""
    html = client.get("/search", {"q": "quantum surface codes", "cat": "cs.CV"}).content.decode()
    back = "/accounts/login/?next=/search%3Fq%3Dquantum%2Bsurface%2Bcodes%26cat%3Dcs.CV"
    cards = len(titles(html))
    assert cards and html.count(f'href="{back}"') >= cards


def test_long_names_and_titles_are_clipped_as_truncatechars_does():
    from django.template.defaultfilters import truncatechars

    from dailypapers.core.templatetags.site_formats import clip

    for text in ["", "Ada Lovelace", "x" * 80, "x" * 81, "Ünïcödé " * 30, "<b>&amp;</b>" * 20]:
        assert clip(text, 80) == truncatechars(text, 80)
    assert clip("x" * 81, 80) == "x" * 79 + "…"
    assert clip(12345, 3) == "12…"  # not a string: as text


def test_author_links_escape_quote_clip_and_cut_the_list():
    """Tried: markup, quotes, ``&``, ``?``, ``/`` and ``#`` in a name, a 300-character name, and
    more names than the list shows. Each name links to the papers under it (the name quoted
    whole), is escaped and isolated, and the list ends with ", et al." when names are left out."""
    from dailypapers.core.templatetags.site_formats import author_links

    hostile = '<b onmouseover="x">O\'Brien & Söhne?a=b/c#d</b>'
    html = author_links([hostile, "x" * 300, "Ada Lovelace"], 2)
    name = "%3Cb%20onmouseover%3D%22x%22%3EO%27Brien%20%26%20S%C3%B6hne%3Fa%3Db%2Fc%23d%3C%2Fb%3E"
    assert html == (
        f'<a href="/authors/by-name?name={name}"><bdi>&lt;b onmouseover=&quot;x&quot;&gt;'
        "O&#x27;Brien &amp; Söhne?a=b/c#d&lt;/b&gt;</bdi></a>, "
        f'<a href="/authors/by-name?name={"x" * 300}"><bdi>{"x" * 119}…</bdi></a>, et al.'
    )
    assert author_links(["Ada Lovelace"], 1) == (
        '<a href="/authors/by-name?name=Ada%20Lovelace"><bdi>Ada Lovelace</bdi></a>'
    )
    assert author_links([], 6) == ""
