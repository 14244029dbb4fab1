"""The answer engine on the fixture index: sentence selection, coverage, follow-ups."""

from api import extractive
from api.answer import AnswerEngine
from api.followup import Turn, is_follow_up


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


def test_history_focuses_retrieval_on_the_previous_study(fixture_index, fixture_settings):
    engine = AnswerEngine(fixture_settings)
    history = [Turn("user", "How does the chat relay deliver messages to devices?")]
    query, study = engine.standalone_query(fixture_index, "and what budget does each stage get?",
                                           history)
    assert study == "chat-relay" and query.startswith("How does the chat relay")
    query, study = engine.standalone_query(fixture_index, "Why geohash?", history)
    assert (query, study) == ("Why geohash?", None)
