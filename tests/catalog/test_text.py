from dailypapers.catalog.text import clean_abstract, clean_line, clean_name


def test_names_lose_tex_accents():
    assert clean_name("Bal\\'azs K\\\"onig") == "Balázs König"
    assert clean_name("  Jos{\\'e}  Garc\\'ia ") == "José García"
    assert clean_name("Plain Name") == "Plain Name"


def test_lines_and_abstracts():
    assert clean_line(" a\n  b\x00c\t") == "a bc"
    assert clean_abstract("  One\ntwo.\n  Three\nfour.\n") == "One two.\n\nThree four."
    assert clean_abstract("Math $x^2$ stays.") == "Math $x^2$ stays."
