"""Scoring an answer set: nugget matching and the per-intent report on the fixture index."""

import json

import pytest

from api.answer_quality import evaluate_answers, load_answer_set, nugget_found
from api.cli import main


def test_nuggets_match_on_word_boundaries_with_numbers_normalised():
    answer = "Authors below 20K followers are pushed; a shard holds 1,000 keys [2]."
    assert nugget_found(answer, ["1000 keys"])
    assert nugget_found(answer, ["20k FOLLOWERS"])
    assert nugget_found(answer, ["missing", "pushed"])
    assert not nugget_found(answer, ["push"])
    assert not nugget_found("Other designs differ.", ["OT"])


def _write(tmp_path, items):
    path = tmp_path / "answers.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in items) + "\n", encoding="utf-8")
    return path


def test_report_scores_recall_relevance_and_refusals(tmp_path, fixture_index, fixture_settings):
    path = _write(tmp_path, [
        {"id": "a", "question": "WebSocket vs long polling: which does the chat relay pick?",
         "intent": "choice", "studies": ["chat-relay"],
         "nuggets": [["WebSocket per device"], ["carrier pigeon"]]},
        {"id": "b", "question": "WebSocket vs long polling: which does the chat relay pick?",
         "intent": "choice", "studies": ["geo-finder"], "nuggets": [["WebSocket"]]},
        {"id": "o", "question": "best banana bread recipe?", "intent": "off_topic",
         "studies": [], "nuggets": []},
    ])
    report = evaluate_answers(fixture_index, load_answer_set(path), fixture_settings)
    choice = report["intents"]["choice"]
    assert choice["nugget_recall"] == pytest.approx(0.75)
    assert choice["only_relevant"] == pytest.approx(0.5) and choice["off_study_citations"] == ["b"]
    assert choice["invalid_citations"] == [] and choice["declined"] == []
    assert report["off_topic"] == {"n": 1, "declined": 1, "answered": [], "invalid_citations": []}


def test_a_malformed_answer_set_is_bad_input(tmp_path, capsys):
    path = _write(tmp_path, [{"id": "x", "question": "q", "intent": "choice", "studies": [],
                              "nuggets": []}])
    assert main(["eval", str(path)]) == 2
    assert "needs studies and nuggets" in capsys.readouterr().err
