from papersearch.query import parse, tantivy_exclusions, tantivy_text


def test_words_phrases_exclusions_and_prefixes() -> None:
    parsed = parse('"large language model" reasoning -vision author:"Yann LeCun" cat:cs.CL')
    assert parsed.words == ("reasoning",)
    assert parsed.phrases == ("large language model",)
    assert parsed.excluded == ("vision",)
    assert parsed.authors == ("authors:Yann LeCun",)
    assert parsed.categories == ("cs.CL",)
    assert parsed.free_text == "large language model reasoning"


def test_excluded_phrase_and_author() -> None:
    parsed = parse('-"neural network" -author:smith kernels')
    assert tantivy_exclusions(parsed) == ['"neural network"', 'authors:"smith"']
    assert tantivy_text(parsed) == "kernels"


def test_syntax_characters_cannot_break_the_parser() -> None:
    for text in ['(a+b)^2 AND "', "x:y:z", "-", '""', "~!@#$%^&*()", "über naïve 量子"]:
        parsed = parse(text)
        assert all(w.isalnum() for w in parsed.words)


def test_only_constraints_has_no_text() -> None:
    parsed = parse("author:hinton")
    assert not parsed.has_text and parsed.has_constraints and not parsed.is_empty
    assert parse("   ").is_empty


def test_operator_words_are_plain_words(small_index) -> None:
    for query in ("AND OR NOT", "' OR 1=1 --", "quantum AND", "IN TO"):
        small_index.search(query, mode="lexical")
    assert small_index.search("QUANTUM OR", mode="lexical").hits
