"""Question intents and follow-up rewriting: rules over the text, no model."""

import pytest

from api import intent
from api.followup import standalone


@pytest.mark.parametrize(("question", "studies", "concept", "expected"), [
    ("Where is consistent hashing used, and why?", 0, True, intent.WHERE_USED),
    ("Which case studies use geohash?", 0, True, intent.WHERE_USED),
    ("Compare how the chat relay and the geo finder deliver updates", 2, False,
     intent.COMPARISON),
    ("What is the difference between OT and CRDT?", 0, True, intent.CHOICE),
    ("Should the hotel use pessimistic or optimistic locking?", 1, True, intent.CHOICE),
    ("Why geohash over a quadtree?", 0, True, intent.CHOICE),
    ("How would you design the fanout for a celebrity?", 0, False, intent.CHOICE),
    ("What happens when the document owner crashes?", 1, False, intent.FAILURE),
    ("What are the main failure scenarios for the payment gateway?", 1, False, intent.FAILURE),
    ("How much storage does the video platform need per day?", 1, False, intent.ESTIMATE),
    ("How many messages per second at peak?", 0, False, intent.ESTIMATE),
    ("How does the hotel reservation system prevent double booking?", 1, False,
     intent.MECHANISM),
])
def test_intent_rules(question, studies, concept, expected):
    assert intent.classify(question, studies, concept) == expected


def test_where_used_needs_a_concept_and_no_named_study():
    assert intent.classify("Which systems use it?", 0, False) != intent.WHERE_USED
    assert intent.classify("Where does the CDN use consistent hashing?", 1, True) \
        != intent.WHERE_USED


@pytest.mark.parametrize(("question", "expected"), [
    ("and how does it handle a slow consumer?",
     "How does the Message Broker handle a slow consumer?"),
    ("what happens under a flash sale?", "What happens under a flash sale in the Message Broker?"),
    ("And what about its retention?", "What about the Message Broker's retention?"),
])
def test_follow_up_carries_the_subject_and_keeps_its_own_predicate(question, expected):
    assert standalone(question, "the Message Broker") == expected
