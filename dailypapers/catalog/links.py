"""Code and project-page links found in an abstract or in the comments."""

from __future__ import annotations

import re

CODE_HOSTS = (
    "github.com",
    "gitlab.com",
    "bitbucket.org",
    "codeberg.org",
    "sourceforge.net",
    "git.sr.ht",
    "huggingface.co",
)
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'{}\\]+", re.IGNORECASE)
_BARE_CODE = re.compile(
    r"(?<![\w./@-])(?:github\.com|gitlab\.com|bitbucket\.org|codeberg\.org)/[\w.-]+/[\w.-]+",
    re.IGNORECASE,
)
_HINTS = ("://", "www.", "ithub", "ITHUB", "itlab", "ITLAB", "itbucket", "odeberg")
_TRAILING = ".,;:)]}>'\"!?"
_PROJECT_CUE = re.compile(
    r"(?:project\s*(?:page|website|site)|home\s*page|website|demo|webpage)\W{0,20}$", re.I
)
_MAX_LINKS = 10
_MAX_URL = 500


def _tidy(url: str) -> str:
    url = url.rstrip(_TRAILING)
    # An unmatched closing parenthesis belongs to the sentence, not the URL.
    while url.endswith(")") and url.count("(") < url.count(")"):
        url = url[:-1].rstrip(_TRAILING)
    if url.lower().startswith("www."):
        url = "https://" + url
    return url


def _host(url: str) -> str:
    host = url.split("://", 1)[-1].split("/", 1)[0].lower()
    return host.removeprefix("www.")


def _is_code(url: str) -> bool:
    host = _host(url)
    if host == "huggingface.co":
        # A model card or space is code-ish; the papers pages are not.
        path = url.split("://", 1)[-1].split("/", 2)
        return len(path) > 2 and not path[1].startswith("papers")
    if not any(host == h or host.endswith("." + h) for h in CODE_HOSTS):
        return False
    if host.endswith("github.io"):
        return False
    parts = [p for p in url.split("://", 1)[-1].split("/")[1:] if p]
    return len(parts) >= 2  # owner/repo, not a bare host or an organisation page


def find_links(*texts: str | None) -> tuple[list[str], str]:
    """Code links (repositories) and the first project page found in the texts, in order."""
    code: list[str] = []
    project = ""
    for text in texts:
        if not text or not any(hint in text for hint in _HINTS):
            continue
        spans = [(m.start(), _tidy(m.group())) for m in _URL.finditer(text)]
        spans += [(m.start(), "https://" + _tidy(m.group())) for m in _BARE_CODE.finditer(text)]
        for start, url in sorted(spans):
            if len(url) > _MAX_URL or "." not in _host(url):
                continue
            if _is_code(url):
                normal = url.removesuffix(".git").rstrip("/")
                if not any(normal.lower() == c.lower() for c in code) and len(code) < _MAX_LINKS:
                    code.append(normal)
            elif not project and (
                _host(url).endswith("github.io")
                or _PROJECT_CUE.search(text[max(0, start - 40) : start])
            ):
                project = url
    return code, project
