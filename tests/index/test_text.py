from index.text import sentences

PASSAGE = """## Heading is skipped

**Why:** Kafka keeps partitions on disk. Each partition has a leader
(elected by the controller) and followers!

- A bullet item that is long enough to count.
| a table | row is skipped entirely here |
```
code here is skipped entirely okay
```
"""


def test_sentences_are_verbatim_spans_without_markup():
    found = sentences(PASSAGE, min_words=3)
    assert [s.text for s in found] == [
        "Kafka keeps partitions on disk.",
        "Each partition has a leader (elected by the controller) and followers!",
        "A bullet item that is long enough to count.",
    ]
    for s in found:
        assert PASSAGE[s.start:s.end] == s.raw


def test_an_ellipsis_does_not_end_a_sentence():
    passage = "Each hold locks the rows with `SELECT ... FOR UPDATE` in date order. Then it commits."
    assert [s.text for s in sentences(passage, min_words=3)] == [
        "Each hold locks the rows with `SELECT ... FOR UPDATE` in date order.",
        "Then it commits.",
    ]
