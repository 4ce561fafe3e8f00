"""BM25 over title (boosted), abstract and authors, with tantivy.

Words are matched as written (lower-cased, no stemming): stemming conflates words that
scientific text keeps apart ("generation" and "general", "universal" and "university") and
measurably hurts ranking (docs/search.md). Title and abstract are scored as one field, the
title written twice, so the title weighs double within one set of BM25 statistics; scoring
them as separate fields with a boost lets titles that merely repeat a query word outrank
papers about it. The stored ``title`` and ``abstract`` fields are indexed without
frequencies or positions, only so that snippets can find the query's words in them.

Every tantivy document carries its ``row`` in the index's row files; the row is the only link
between the two sides. Filters are query clauses with a zero score, so they act inside the
search and never change a ranking.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import tantivy

from papersearch.query import ParsedQuery, tantivy_constraints, tantivy_exclusions, tantivy_text
from papersearch.types import Document, Filters, Snippet

_TOKEN = re.compile(r"[^\W_]+")  # what tantivy's simple tokenizer keeps
TITLE_REPEAT = 2
AUTHORS_BOOST = 0.2  # names count, but a word that is also a surname weighs little
TEXT_FIELDS = ["text", "authors"]
SNIPPET_FIELDS = ["title", "abstract"]
NO_DATE = -(2**31)
EPOCH = dt.date(1970, 1, 1)
WRITER_HEAP = 128_000_000
CLING_BYTES = 64  # how far a snippet widens to the spaces around its fragment
COMMON_SHARE = 0.05  # a word in more of the papers than this is common (see _text_query)


def day_number(date: dt.date | None) -> int:
    return NO_DATE if date is None else (date - EPOCH).days


def category_terms(categories: Sequence[str]) -> list[str]:
    """Each category and its group (``cs.CL`` also files under ``cs``)."""
    terms: list[str] = []
    for code in categories:
        terms.append(code)
        group = code.split(".", 1)[0]
        if group != code:
            terms.append(group)
    return list(dict.fromkeys(terms))


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("row", stored=True, indexed=True, fast=True)
    builder.add_text_field("text", stored=False, tokenizer_name="default")
    builder.add_text_field("title", stored=True, tokenizer_name="default", index_option="basic")
    builder.add_text_field("abstract", stored=True, tokenizer_name="default", index_option="basic")
    builder.add_text_field("authors", stored=True, tokenizer_name="default")
    builder.add_text_field("cat", stored=False, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("date", indexed=True, fast=True)
    builder.add_unsigned_field("has_code", indexed=True, fast=True)
    return builder.build()


class LexicalIndex:
    """A tantivy index in one folder."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = path
        self.schema = build_schema()
        if create:
            path.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(path), reuse=not create)
        self._writer: tantivy.IndexWriter | None = None

    # -- writing -----------------------------------------------------------------------------

    def _get_writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=2)
        return self._writer

    def add(self, rows: Sequence[int], docs: Sequence[Document]) -> None:
        writer = self._get_writer()
        for row, doc in zip(rows, docs, strict=True):
            document = tantivy.Document()
            document.add_unsigned("row", int(row))
            for _ in range(TITLE_REPEAT):
                document.add_text("text", doc.title)
            document.add_text("text", doc.abstract)
            document.add_text("title", doc.title)
            document.add_text("abstract", doc.abstract)
            document.add_text("authors", ", ".join(doc.authors))
            for term in category_terms(doc.categories):
                document.add_text("cat", term)
            document.add_integer("date", day_number(doc.date))
            document.add_unsigned("has_code", int(doc.has_code))
            writer.add_document(document)

    def delete_rows(self, rows: Sequence[int]) -> None:
        if len(rows) == 0:
            return
        writer = self._get_writer()
        query = tantivy.Query.term_set_query(self.schema, "row", [int(r) for r in rows])
        writer.delete_documents_by_query(query)

    def delete_from(self, first_row: int) -> None:
        """Delete every document whose row is ``first_row`` or later (left by a crash)."""
        writer = self._get_writer()
        query = tantivy.Query.range_query(
            self.schema, "row", tantivy.FieldType.Unsigned, lower_bound=int(first_row)
        )
        writer.delete_documents_by_query(query)

    def commit(self) -> None:
        if self._writer is not None:
            self._writer.commit()
            self._writer.wait_merging_threads()
            self._writer = None
        self.fsync()
        self.index.reload()

    def fsync(self) -> None:
        from papersearch.storage import fsync_tree

        fsync_tree(self.path)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.rollback()
            self._writer.wait_merging_threads()
            self._writer = None

    # -- reading -----------------------------------------------------------------------------

    def num_docs(self) -> int:
        return int(self.index.searcher().num_docs)

    def _parse(self, text: str, fields: list[str] = TEXT_FIELDS) -> tantivy.Query:
        return self.index.parse_query(text, fields, field_boosts={"authors": AUTHORS_BOOST})

    def filter_clauses(
        self, filters: Filters, categories: Sequence[str]
    ) -> list[tuple[tantivy.Occur, tantivy.Query]]:
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        must = tantivy.Occur.Must

        def zero(query: tantivy.Query) -> None:
            clauses.append((must, tantivy.Query.const_score_query(query, 0.0)))

        for group in (filters.categories, categories):
            if group:
                zero(tantivy.Query.term_set_query(self.schema, "cat", list(group)))
        if filters.date_from is not None or filters.date_to is not None:
            zero(
                tantivy.Query.range_query(
                    self.schema,
                    "date",
                    tantivy.FieldType.Integer,
                    lower_bound=(
                        day_number(filters.date_from) if filters.date_from else NO_DATE + 1
                    ),
                    upper_bound=day_number(filters.date_to) if filters.date_to else None,
                )
            )
        if filters.has_code is not None:
            zero(tantivy.Query.term_query(self.schema, "has_code", int(filters.has_code)))
        return clauses

    def build_query(
        self, parsed: ParsedQuery, filters: Filters, *, score: bool = True, want: int = 0
    ) -> tantivy.Query:
        """The whole query; with ``score=False`` only its literal requirements and filters.
        ``want``: how many of the best matches the caller asks for (see ``_text_query``)."""
        occur = tantivy.Occur
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        text = tantivy_text(parsed) if score else tantivy_constraints(parsed)
        if text and score and want:
            clauses.append((occur.Must, self._text_query(parsed, text, want)))
        elif text:
            clauses.append((occur.Must, self._parse(text)))
        else:
            clauses.append((occur.Must, tantivy.Query.all_query()))
        for excluded in tantivy_exclusions(parsed):
            clauses.append((occur.MustNot, self._parse(excluded)))
        clauses += self.filter_clauses(filters, parsed.categories)
        return tantivy.Query.boolean_query(clauses)

    def _text_query(self, parsed: ParsedQuery, text: str, want: int) -> tantivy.Query:
        """The scoring part, with the common words (in more than ``COMMON_SHARE`` of the
        papers: "the", "of", "learning", "models") counted only in the papers that hold one
        of the query's other words (what Lucene's common-terms query does). The plain query
        scores every paper that holds any word: at 2.5M papers, "learning models" scores
        millions of postings (tantivy-py collects without block-max pruning), where the
        papers that matter hold the rarer words too. A paper is ranked as before, by every
        word it holds; papers that hold only common words are left out, unless the rarer
        words are in fewer than ``want`` papers between them (a word still being typed),
        when every word counts alone. A query with required phrases or authors is left as
        it is: they already decide which papers match."""
        if len(parsed.words) < 2 or parsed.phrases or parsed.authors:
            return self._parse(text)
        searcher = self.index.searcher()
        cutoff = COMMON_SHARE * searcher.num_docs
        rare: list[str] = []
        common: list[str] = []
        rare_docs = 0
        for word in dict.fromkeys(w.lower() for w in parsed.words):
            counts = [int(searcher.doc_freq("text", t)) for t in _TOKEN.findall(word)]
            docs = max(counts, default=0)
            if docs > cutoff:
                common.append(word)
            else:
                rare.append(word)
                rare_docs += docs
        if not rare or not common or rare_docs < want:
            return self._parse(text)
        return tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, self._parse(" ".join(rare))),
                (tantivy.Occur.Should, self._parse(" ".join(common))),
            ]
        )

    def search(
        self, query: tantivy.Query, limit: int, *, count: bool = True
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32], int]:
        """The top ``limit`` rows, their BM25 scores and the number of matches (0 without
        ``count``: counting visits every match, where the top rows alone need not)."""
        searcher = self.index.searcher()
        result = searcher.search(query, limit=max(limit, 1), count=count)
        addresses = [address for _score, address in result.hits]
        rows = searcher.fast_field_values("row", addresses) if addresses else []
        scores = [float(score) for score, _address in result.hits]
        return (
            np.asarray(rows, dtype=np.int64),
            np.asarray(scores, dtype=np.float32),
            int(getattr(result, "count", 0) or 0),
        )

    def estimate_matches(self, words: Sequence[str]) -> int:
        """About how many documents hold any of ``words``: the most frequent word's count
        (a lower bound of the exact number, read from the term dictionary)."""
        searcher = self.index.searcher()
        best = 0
        for word in words:
            for token in _TOKEN.findall(word.lower()):
                best = max(best, int(searcher.doc_freq("text", token)))
        return best

    def without_rows(self, query: tantivy.Query, rows: Sequence[int]) -> tantivy.Query:
        """``query`` less the documents of ``rows`` (papers a reader chose not to see)."""
        return tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, query),
                (
                    tantivy.Occur.MustNot,
                    tantivy.Query.term_set_query(self.schema, "row", [int(r) for r in rows]),
                ),
            ]
        )

    def matching_rows(self, query: tantivy.Query, rows: Sequence[int]) -> set[int]:
        """Which of ``rows`` match ``query``."""
        if len(rows) == 0:
            return set()
        restricted = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, query),
                (
                    tantivy.Occur.Must,
                    tantivy.Query.term_set_query(self.schema, "row", [int(r) for r in rows]),
                ),
            ]
        )
        found, _scores, _count = self.search(restricted, len(rows))
        return {int(r) for r in found}

    def titles(self, rows: Sequence[int]) -> dict[int, str]:
        """The stored title of each of ``rows``."""
        if len(rows) == 0:
            return {}
        searcher = self.index.searcher()
        by_row = tantivy.Query.term_set_query(self.schema, "row", [int(r) for r in rows])
        result = searcher.search(by_row, limit=len(rows), count=False)
        out: dict[int, str] = {}
        for _score, address in result.hits:
            doc = searcher.doc(address)
            out[int(doc["row"][0])] = str(doc["title"][0]) if doc["title"] else ""
        return out

    @staticmethod
    def words_of(text: str) -> list[str]:
        """``text`` as the tokenizer cuts it, lower-cased."""
        return _TOKEN.findall(text.lower())

    def highlights(self, rows: Sequence[int], parsed: ParsedQuery) -> dict[int, dict[str, Snippet]]:
        """For each row, a snippet of its title and abstract with the query's terms marked
        (a field where no term occurs is left out)."""
        if len(rows) == 0:
            return {}
        searcher = self.index.searcher()
        by_row = tantivy.Query.term_set_query(self.schema, "row", [int(r) for r in rows])
        result = searcher.search(by_row, limit=len(rows), count=False)
        # Only the words, as the tokenizer cuts them (``H_0`` is two), one term each: a word the
        # parser would cut in two becomes a phrase query, which needs positions that title and
        # abstract do not index. Lower case: AND, OR, NOT are operators to the query parser.
        text = " ".join(highlight_terms(parsed))
        if not text:
            return {}
        terms = self._parse(text, SNIPPET_FIELDS)
        generators: dict[str, tantivy.SnippetGenerator] = {}
        for field, chars in (("title", 400), ("abstract", 300)):
            generator = tantivy.SnippetGenerator.create(searcher, terms, self.schema, field)
            generator.set_max_num_chars(chars)
            generators[field] = generator
        out: dict[int, dict[str, Snippet]] = {}
        for _score, address in result.hits:
            doc = searcher.doc(address)
            snippets: dict[str, Snippet] = {}
            for field, generator in generators.items():
                found = generator.snippet_from_doc(doc)
                marks = [(r.start, r.end) for r in found.highlighted()]
                if marks:
                    cut = found.fragment_range()
                    snippets[field] = _snippet(
                        str(doc[field][0]), (cut.start, cut.end), marks, whole=field == "title"
                    )
            out[int(doc["row"][0])] = snippets
        return out


def highlight_terms(parsed: ParsedQuery) -> list[str]:
    """The terms a snippet marks for this query: its words and its phrases' words as the
    tokenizer cuts them, lower-cased, in order (excluded words and authors are not marked)."""
    return _TOKEN.findall(" ".join([*parsed.words, *parsed.phrases]).lower())


def _snippet(
    text: str,
    fragment: tuple[int, int],
    byte_spans: Sequence[tuple[int, int]],
    *,
    whole: bool = False,
) -> Snippet:
    """The snippet of ``text`` around tantivy's ``fragment`` (a UTF-8 byte range of
    ``text``, with the marks ``byte_spans`` relative to its start), in characters.

    tantivy's fragment runs from the first word it keeps to the last, so it drops what
    clings to them: a title's closing bracket or full stop ("(LLMs)", "Robots."), the
    dollar opening ``$H_0$``. The snippet is the ``whole`` text (a title), or the fragment
    widened to the spaces around it (at most ``CLING_BYTES`` more a side).
    """
    data = text.encode("utf-8")
    start, end = fragment
    if whole:
        start, end = 0, len(data)
    else:
        floor, ceiling = max(0, start - CLING_BYTES), min(len(data), end + CLING_BYTES)
        while start > floor and not data[start - 1 : start].isspace():
            start -= 1
        while end < ceiling and not data[end : end + 1].isspace():
            end += 1
    shift = fragment[0] - start
    piece = data[start:end]

    def chars(at: int) -> int:
        return len(piece[:at].decode("utf-8", "ignore"))

    spans = tuple((chars(a + shift), chars(b + shift)) for a, b in sorted(byte_spans))
    return Snippet(piece.decode("utf-8", "ignore"), spans)
