"""A paper as Markdown, for scripts and agents (``/papers/{id}.md``, or the paper page asked
for ``text/markdown``): what the page shows, as text."""

from __future__ import annotations

import re
from datetime import UTC

from dailypapers.catalog.models import Paper

from .comments import Node
from .models import DailyEntry

_SPACES = re.compile(r"\s+")


def _line(text: str) -> str:
    """Text for one line: runs of whitespace (newlines too) as one space."""
    return _SPACES.sub(" ", text).strip()


def _link(label: str, url: str) -> str:
    """A Markdown link whose address cannot close the link early."""
    return f"[{label}](<{url.replace('<', '%3C').replace('>', '%3E')}>)"


def _quoted(text: str, indent: str) -> list[str]:
    return [f"{indent}> {line}".rstrip() for line in text.strip().splitlines() or [""]]


def _comment(node: Node, depth: int) -> list[str]:
    indent = "  " * depth
    comment = node.comment
    if comment.shown:
        when = comment.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        edited = " (edited)" if comment.edited_at else ""
        lines = [f"{indent}- **{_line(comment.author.get_username())}**, {when}{edited}:"]
        lines += _quoted(comment.body, indent + "  ")
    else:
        lines = [f"{indent}- (comment removed)"]
    for child in node.children:
        lines += _comment(child, depth + 1)
    return lines


def paper_markdown(
    paper: Paper, entry: DailyEntry | None, comments: list[Node], page_url: str
) -> str:
    """The paper: title, authors, dates, links, abstract, where it was featured, and the
    comments readers see (``comments`` as ``comments.thread`` gives them)."""
    lines = [f"# {_line(paper.title)}", ""]
    if paper.author_names:
        lines.append(f"**Authors:** {_line(', '.join(paper.author_names))}")
    links = [_link(f"arXiv:{paper.arxiv_id}", paper.abs_url), _link("PDF", paper.pdf_url)]
    if paper.code_url:
        links.append(_link("Code", paper.code_url))
    if paper.project_page:
        links.append(_link("Project page", paper.project_page))
    links.append(_link("This page", page_url))
    lines.append(f"**Links:** {' · '.join(links)}")
    if paper.submitted:
        lines.append(f"**Published:** {paper.submitted:%Y-%m-%d} (v1)")
    if paper.updated and paper.version > 1:
        lines.append(f"**Latest version:** v{paper.version}, {paper.updated:%Y-%m-%d}")
    if paper.categories:
        lines.append(f"**Categories:** {', '.join(paper.categories)}")
    if paper.journal_ref:
        lines.append(f"**Journal:** {_line(paper.journal_ref)}")
    if paper.doi:
        lines.append(f"**DOI:** {_line(paper.doi)}")
    if entry is not None and not entry.hidden:
        featured = f"**Featured:** {entry.day:%Y-%m-%d}"
        if entry.submitter_name:
            featured += f" by {_line(entry.submitter_name)}"
        votes = "upvote" if entry.upvotes == 1 else "upvotes"
        lines.append(f"{featured} · {entry.upvotes} {votes}")
    else:
        lines.append("**Featured:** not on the daily papers")
    lines += ["", "## Abstract", "", paper.abstract.strip() or "(no abstract)"]
    if paper.comments:
        lines += ["", f"Comments: {_line(paper.comments)}"]
    shown = sum(1 for _ in _walk(comments))
    lines += ["", f"## Discussion ({shown} {'comment' if shown == 1 else 'comments'})", ""]
    if comments:
        for node in comments:
            lines += _comment(node, 0)
    else:
        lines.append("No comments yet.")
    return "\n".join(lines) + "\n"


def _walk(nodes: list[Node]) -> list[Node]:
    """The shown comments of a thread, in order."""
    found: list[Node] = []
    for node in nodes:
        if node.comment.shown:
            found.append(node)
        found += _walk(node.children)
    return found
