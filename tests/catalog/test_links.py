from dailypapers.catalog.links import find_links


def test_finds_repositories_and_project_pages():
    code, project = find_links(
        "We release code at https://github.com/org/repo. (see github.com/other/tool)",
        "Project page: https://example.org/proj. Data at https://zenodo.org/record/1.",
    )
    assert code == ["https://github.com/org/repo", "https://github.com/other/tool"]
    assert project == "https://example.org/proj"


def test_ignores_non_repository_links_and_trims_punctuation():
    code, project = find_links(
        "Our models (https://huggingface.co/papers/2501.00001) and https://github.com/org). "
        "Code: (https://gitlab.com/a/b.git)."
    )
    assert code == ["https://gitlab.com/a/b"]
    assert project == ""


def test_github_pages_are_project_pages():
    code, project = find_links("Videos at https://someone.github.io/cool-robot/ ")
    assert code == []
    assert project == "https://someone.github.io/cool-robot/"


def test_no_links():
    assert find_links(None, "", "plain text") == ([], "")
