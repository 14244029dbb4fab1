"""The answer engine on the fixture index: sentence selection, coverage, follow-ups."""

from api import extractive, hygiene
from api.answer import AnswerEngine
from api.followup import Turn, is_follow_up
from index.chunks import Chunk


def test_selection_is_relevant_diverse_and_capped_per_passage(fixture_index):
    question = "what happens to writes when a primary crashes and a replica is promoted"
    hits = fixture_index.search(question, k=8)
    picked = extractive.select(fixture_index, question, hits, n=5)
    assert picked and "replica" in picked[0].sentence.text.lower()
    per_chunk = {}
    for p in picked:
        per_chunk[p.hit.chunk.id] = per_chunk.get(p.hit.chunk.id, 0) + 1
        assert p.sentence.raw in p.hit.chunk.text
    assert max(per_chunk.values()) <= extractive.PER_CHUNK
    assert len({p.sentence.text for p in picked}) == len(picked)


def test_answer_numbers_citations_in_order_of_use(fixture_index, fixture_settings):
    answer = AnswerEngine(fixture_settings).answer(fixture_index, "Why geohash over a quadtree?")
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    first_use = [answer.answer.index(f"[{c.n}]") for c in answer.citations]
    assert first_use == sorted(first_use)


def test_off_topic_and_gibberish_are_declined(fixture_index, fixture_settings):
    engine = AnswerEngine(fixture_settings)
    for question in ("Who won the 1998 world cup?", "zxqv blorp fnord", "best banana bread?"):
        answer = engine.answer(fixture_index, question)
        assert not answer.grounded and not answer.citations and answer.route == "declined"


def test_follow_up_detection():
    assert is_follow_up("and how does it fail over?", names_study=False, names_concept=False)
    assert is_follow_up("how does it handle failover?", names_study=False, names_concept=True)
    assert is_follow_up("why?", names_study=False, names_concept=False)
    assert not is_follow_up("how does geohash work?", names_study=False, names_concept=True)
    assert not is_follow_up("and how does the Chat Relay do it?", names_study=True,
                            names_concept=False)
    assert not is_follow_up("How do brokers replicate partitions across racks?",
                            names_study=False, names_concept=False)


def test_a_follow_up_becomes_a_standalone_question_on_the_previous_study(fixture_index,
                                                                         fixture_settings):
    engine = AnswerEngine(fixture_settings)
    history = [Turn("user", "How does the chat relay deliver messages to devices?"),
               Turn("assistant", "Over a WebSocket per device [1].")]
    query, study = engine.standalone_query(fixture_index, "and what budget does each stage get?",
                                           history)
    assert (query, study) == ("What budget does each stage get in the Chat Relay?", "chat-relay")
    query, study = engine.standalone_query(fixture_index, "Why geohash?", history)
    assert (query, study) == ("Why geohash?", None)
    answer = engine.answer(fixture_index, "and how much time does each stage of it get?",
                           history=history)
    assert answer.query == "How much time does each stage of the Chat Relay get?"
    assert {c.study for c in answer.citations} == {"chat-relay"}
    assert "| gateway to Kafka | 20 ms | [" in answer.answer


def _quotes_are_verbatim(index, answer):
    for c in answer.citations:
        chunk = index.chunk(c.chunk_id)
        assert chunk is not None and c.quote in chunk.text and c.path == chunk.path


def test_choice_answer_leads_with_decision_and_why_then_trade_off_and_trigger(fixture_index,
                                                                           fixture_settings):
    answer = AnswerEngine(fixture_settings).answer(
        fixture_index, "WebSocket vs long polling: which does the chat relay pick?")
    text = answer.answer
    assert text.startswith("**WebSocket vs Long Polling** (Chat Relay)")
    order = [text.index(label) for label in
             ("**Decision:** Keep a WebSocket per device", "**Why:**", "**Trade-off:**",
              "**When to reconsider:**")]
    assert order == sorted(order)
    for paragraph in text.split("\n\n")[1:]:
        assert paragraph.rstrip().endswith("]"), paragraph
    assert {c.study for c in answer.citations} == {"chat-relay"}
    _quotes_are_verbatim(fixture_index, answer)


def test_comparison_answer_is_a_table_with_one_column_per_study(fixture_index, fixture_settings):
    answer = AnswerEngine(fixture_settings).answer(
        fixture_index, "Compare how the chat relay and the key-value cache use consistent hashing")
    assert "|  | Chat Relay | Key-Value Cache |" in answer.answer
    rows = [line for line in answer.answer.splitlines() if line.startswith("| Approach")]
    assert len(rows) == 1 and rows[0].count("[") >= 2
    assert {c.study for c in answer.citations} == {"chat-relay", "kv-cache"}
    _quotes_are_verbatim(fixture_index, answer)


def test_where_used_shows_a_rejecting_study_apart_and_counts_what_it_lists(fixture_index,
                                                                         fixture_settings):
    answer = AnswerEngine(fixture_settings).answer(fixture_index, "Where is a quadtree used?")
    assert answer.route == "graph"
    used, _, rejected = answer.answer.partition("Considered and rejected")
    assert "quadtree is used in 0 case studies" in used.lower()
    assert "**Geo Finder** (Geohash vs Quadtree)" in rejected
    answer = AnswerEngine(fixture_settings).answer(fixture_index, "Where is consistent hashing used?")
    listed = [line for line in answer.answer.splitlines() if line.startswith("- **")]
    assert f"used in {len(listed)} case studies" in answer.answer
    _quotes_are_verbatim(fixture_index, answer)


def _chunk(text: str, heading: str = "Architecture > Message path") -> Chunk:
    return Chunk("c1", "case-studies/x/02-architecture.md", 1, 10, heading.split(" > "), "x",
                 "X", "architecture", text)


def test_hygiene_drops_navigation_tips_and_orphan_pronoun_openers():
    text = ("See the [Task Scheduler](../11-task-scheduler/README.md) for the retry pattern "
            "used here.\n\n"
            "They are keeping three copies of every record on disk.\n\n"
            "Leaders replicate every record to two followers in other zones. They acknowledge "
            "a write once both followers have it.")
    found = [s.text for s in hygiene.clean_sentences(_chunk(text))]
    assert found == ["Leaders replicate every record to two followers in other zones. They "
                     "acknowledge a write once both followers have it."]
    tips = _chunk("Name one metric you would page on and say why it matters.",
                  "Wrap-Up > Interview tips")
    assert hygiene.clean_sentences(tips) == []
    assert [s.text for s in hygiene.clean_sentences(tips, tips=True)] == [
        "Name one metric you would page on and say why it matters."]
