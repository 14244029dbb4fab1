import pytest

from ingest.markdown import FrontMatterError, parse_markdown


def test_front_matter_is_parsed_and_line_numbers_kept():
    doc = parse_markdown("---\ntitle: T\nconcepts: [a, b]\n---\n\n# Heading\n\nText here.\n")
    assert doc.front_matter == {"title": "T", "concepts": ["a", "b"]}
    heading = next(b for b in doc.blocks if b.kind == "heading")
    assert doc.lines[heading.start] == "# Heading"
    assert heading.start == 5
    assert doc.title == "T"


def test_title_falls_back_to_first_h1_and_links_are_collected():
    doc = parse_markdown("Intro\n\n# The `Title`\n\nSee [other](../x/README.md#part).\n")
    assert doc.title == "The Title"
    assert doc.links == ["../x/README.md#part"]


def test_broken_front_matter_is_an_error():
    with pytest.raises(FrontMatterError):
        parse_markdown("---\ntitle: [unclosed\n---\n# x\n")


def test_list_items_have_spans():
    doc = parse_markdown("- one\n- two\n  continued\n- three\n")
    (block,) = doc.blocks
    assert block.kind == "bullet_list"
    assert block.items == [(0, 1), (1, 3), (3, 4)]
