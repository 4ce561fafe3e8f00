"""What search adds to other apps' pages."""

from __future__ import annotations

from html import escape
from typing import Any

from django import template
from django.forms import BoundField
from django.template import Engine
from django.utils.safestring import SafeString, mark_safe

from dailypapers.catalog import tex
from dailypapers.catalog.models import Paper
from dailypapers.core.links import link
from dailypapers.core.templatetags.site_formats import author_links, day
from dailypapers.library.templatetags.library_tags import login_to_save_html
from dailypapers.search.services import Result, has_vector, similar_papers
from papersearch import Snippet

register = template.Library()


@register.inclusion_tag("search/_similar.html")
def similar_to(paper: Paper, k: int = 6) -> dict[str, Any]:
    """ "Similar papers" for a paper page: the papers nearest in meaning; until the paper has
    its vector, a line that says they will come (``pending``)."""
    similar = similar_papers(paper, k=k)
    return {"similar": similar, "pending": not similar and not has_vector(paper)}


@register.filter
def highlighted(snippet: Snippet, whole: str | None = None) -> SafeString:
    """A snippet as HTML: the text escaped, the query's terms in ``<b>``, text commands
    rendered and formulas left whole for KaTeX (a term inside a formula marks the whole
    formula). With the field's ``whole`` text, a snippet cut inside a formula or a text
    command is widened to take it in whole."""
    text, marks = snippet.text, list(snippet.spans)
    at = whole.find(text) if whole and text and tex.has_tex(whole) else -1
    if whole and at >= 0:
        start, end = tex.widen(whole, at, at + len(text))
        text = whole[start:end]
        marks = [(s + at - start, e + at - start) for s, e in marks]
    return mark_safe(tex.tex_html(text, marks))  # noqa: S308 (tex_html escapes)


@register.simple_tag
def choice_select(field: BoundField, error_id: str = "") -> SafeString:
    """A choice field's ``<select>``, its value selected, as Django's widget writes it but
    without the widget's templates (a tenth of the search page's time went to its form).
    With errors it is ``aria-invalid``, described by the element ``error_id`` names."""
    value = field.value()
    chosen = "" if value is None else str(value)
    options = "".join(
        f'\n  <option value="{escape(str(v))}"{" selected" if str(v) == chosen else ""}>'
        f"{escape(str(label))}</option>"
        for v, label in field.field.choices  # type: ignore[attr-defined]
    )
    attrs = ""
    if field.errors:
        attrs = ' aria-invalid="true"' + (
            f' aria-describedby="{escape(error_id)}"' if error_id else ""
        )
    return mark_safe(  # noqa: S308 (escaped)
        f'<select name="{escape(field.html_name)}"{attrs} id="{escape(field.id_for_label)}">'
        f"{options}\n</select>"
    )


@register.simple_tag(takes_context=True)
def search_result(context: template.Context, result: Result) -> SafeString:
    """One result of the search page, as HTML (its ``<li>``): the title and the abstract's
    excerpt with the query's terms marked, the line of facts (arXiv id, authors, date,
    category, code, upvotes) and the Save and Read buttons. Written here rather than as an
    included template: with twenty results a page, the template engine's work for them was
    a third of the search page's time."""
    paper = result.paper
    title: str
    if result.title:
        title = highlighted(result.title, paper.title)
    else:
        title = tex.tex_html(paper.title or "")
    meta = [f'<a href="{escape(paper.abs_url)}" title="On arXiv">{escape(paper.arxiv_id)}</a>']
    if paper.author_names:
        meta.append(author_links(paper.author_names, 6))
    if paper.submitted:
        meta.append(escape(day(paper.submitted)))
    if paper.primary_category:
        category = link("category", paper.primary_category)
        meta.append(f'<a href="{escape(category)}">{escape(paper.primary_category)}</a>')
    if paper.has_code:
        meta.append(f'<a href="{escape(paper.code_url)}">code</a>')
    upvotes = getattr(paper, "upvotes", 0)
    if upvotes:
        meta.append(f"{upvotes} upvote{'' if upvotes == 1 else 's'}")
    abstract: str
    if result.abstract:
        abstract = highlighted(result.abstract, paper.abstract)
    else:
        abstract = tex.tex_excerpt(paper.abstract or "", 300)
    href = escape(link("paper", paper.arxiv_id))
    if context["request"].user.is_authenticated:
        with context.push(paper=paper):
            save = Engine.get_default().get_template("library/_save.html")  # cached loader
            actions = save.render(context)
    else:
        actions = login_to_save_html(str(context.get("login_here", "")), paper.title)
    return mark_safe(  # noqa: S308 (every part escaped above)
        f'<li class="search-result">\n'
        f'  <h2><a href="{href}"><bdi class="tex">{title}</bdi></a></h2>\n'
        f'  <p class="meta">{" · ".join(meta)}</p>\n'
        f'  <p class="abstract tex">{abstract}</p>\n'
        f"  {actions}\n"
        f"</li>"
    )
