"""TeX in titles and abstracts: text commands as HTML, formulas left whole for KaTeX, hostile
input escaped, excerpts cut only between words outside formulas and commands; and the plain
text that feeds and mail get."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from dailypapers.catalog.tex import cut_point, tex_excerpt, tex_html, tokens, widen
from dailypapers.catalog.text import readable_text


@pytest.mark.parametrize(
    ("source", "html"),
    [
        (r"\textbf{Bold} and \emph{it}", "<strong>Bold</strong> and <em>it</em>"),
        (r"\textit{a} \texttt{f(x)} \underline{u}", "<em>a</em> <code>f(x)</code> <u>u</u>"),
        (r"\url{https://example.org/a_b} \textsc{Caps}", "https://example.org/a_b Caps"),
        (r"\textbf{\emph{both}}", "<strong><em>both</em></strong>"),
        (r"\textbf{$x<y$ holds}", "<strong>$x&lt;y$ holds</strong>"),
        (r"$\textbf{x}$ in math", r"$\textbf{x}$ in math"),  # KaTeX's, not ours
        (r"\(\emph{a}\) and \[b\]", r"\(\emph{a}\) and \[b\]"),
        (r"50\% of \&, \#1, a\_b", "50% of &amp;, #1, a_b"),
        (r"\frac{a}{b} outside math", r"\frac{a}{b} outside math"),
        ("plain <text> & more", "plain &lt;text&gt; &amp; more"),
    ],
)
def test_text_commands_become_html_and_formulas_stay_for_katex(source: str, html: str) -> None:
    assert tex_html(source) == html


@pytest.mark.parametrize(
    "source",
    [
        r"\textbf{<script>alert(1)</script>}",
        r"\emph{<img src=x onerror=alert(1)>}",
        r"\texttt{</code><script>x</script>}",
        r"\url{javascript:alert(1)}<a href=x>",
        r"$</span><script>$",
        r"\textbf{\textbf{\textbf{\textbf{\textbf{\textbf{\textbf{\textbf{\textbf{\textbf{<b>}}}}}}}}}}",
        "\x00\\textbf{\x00<i>}",
    ],
)
def test_hostile_input_stays_escaped(source: str) -> None:
    html = tex_html(source)
    for tag in ("<script", "<img", "<a ", "<i>", "</span>", "<b>"):
        assert tag not in html
    assert "&lt;" in html


@pytest.mark.parametrize(
    "source",
    [
        r"\textbf{unclosed $x",
        r"\textbf",
        "$",
        "$$",
        r"\(",
        "}{",
        "\\",
        r"\textbf{" * 5000,
        "$" * 5000,
        r"\emph{a} \textbf{" + "x" * 100_000,
    ],
)
def test_malformed_tex_is_text_and_never_fails(source: str) -> None:
    html = tex_html(source)
    assert "<strong>" not in html.replace("<em>a</em>", "")
    assert html.replace("&lt;", "<").count("$") == source.count("$")


def test_unclosed_pairs_are_text() -> None:
    assert [t.kind for t in tokens(r"a $b \textbf{c")] == ["text"]
    assert [t.kind for t in tokens(r"\$5 and \$6")] == ["text"]
    assert [t.kind for t in tokens(r"a $b$ \textbf{c} d")] == [
        "text",
        "math",
        "text",
        "command",
        "text",
    ]


ABSTRACT = (
    r"We study \textbf{This is a long bold claim} where $\sum_{i=1}^{n} x_i \le C$ holds, "
    r"and \emph{more} words follow here"
)


@pytest.mark.parametrize("limit", range(5, len(ABSTRACT) + 1, 3))
def test_an_excerpt_is_never_cut_inside_math_or_a_command(limit: int) -> None:
    point = cut_point(ABSTRACT, limit)
    assert point is not None
    kept = ABSTRACT[:point]
    assert kept.count("$") % 2 == 0
    assert kept.count("{") == kept.count("}")
    html = tex_excerpt(ABSTRACT, limit)
    assert html.endswith("\u2026")
    assert "\\textbf{" not in html and "\\emph{" not in html


def test_an_excerpt_ends_at_the_last_word_that_fits() -> None:
    assert tex_excerpt("one two three four", 9) == "one two\u2026"
    assert tex_excerpt("one two three four", 100) == "one two three four"
    # nothing to cut before the limit: the first space after the formula
    assert tex_excerpt("$" + "x" * 50 + "$ tail words", 10) == "$" + "x" * 50 + "$\u2026"
    assert tex_excerpt("x" * 50, 10) == "x" * 50  # one word: kept whole
    assert "Thi\u2026" not in tex_excerpt(r"Intro \textbf{This is bold} end", 12)


def test_a_snippet_is_widened_out_of_a_formula() -> None:
    text = r"a $x + y$ b \textbf{bold words} c"
    assert widen(text, 5, 15) == (2, 31)
    start, end = widen(text, 5, 24)
    assert text[start:end] == r"$x + y$ b \textbf{bold words}"
    assert widen(text, 0, 1) == (0, 1)


def test_marks_inside_a_formula_mark_the_whole_formula() -> None:
    text = r"the $\alpha$ model \textbf{fast model}"
    html = tex_html(text, [(6, 11), (13, 18), (32, 37)])
    assert html == r"the <b>$\alpha$</b> <b>model</b> <strong>fast <b>model</b></strong>"


def test_filters_in_templates_escape_and_render() -> None:
    template = Template("{% load tex %}<h1>{{ t|tex }}</h1><p>{{ a|tex_excerpt:24 }}</p>")
    out = template.render(
        Context({"t": r"\textbf{<script>} $a<b$", "a": r"The \emph{first} words and more words"})
    )
    assert (
        out
        == "<h1><strong>&lt;script&gt;</strong> $a&lt;b$</h1><p>The <em>first</em> words\u2026</p>"
    )
    assert Template("{% load tex %}{{ n|tex }}").render(Context({"n": None})) == ""


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("Q&A with $x$", "Q&A with x"),
        ("50% of $n$ and more", "50% of n and more"),
        (r"C# and $\alpha$", "C# and \u03b1"),
        (r"a \& b \% c $x$", "a & b % c x"),
        (
            r"\textbf{Bold} \emph{it} \texttt{code} \url{https://a.org/x%20y}",
            "Bold it code https://a.org/x%20y",
        ),
        (r"$\alpha$-stable in \"{u}ber", "\u03b1-stable in \u00fcber"),
        (r"\textbf{<script>}", "<script>"),  # plain text: the feed or mail escapes it
        ("no tex & 100%", "no tex & 100%"),
    ],
)
def test_readable_text_keeps_bare_ampersands_percents_and_text(source: str, text: str) -> None:
    assert readable_text(source) == text
