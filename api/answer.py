"""The answer engine: question -> standalone question -> intent -> composer, with citations.

- a follow-up is rewritten into a standalone question first (``api.followup``);
- ``api.intent`` names what kind of answer the question wants;
- "where is X used" questions are answered from the concept graph;
- otherwise the passages are retrieved, coverage is decided, and the intent's composer
  (``api.composers``) lays out the answer from the corpus's own shape: decision records,
  failure and estimate tables, side-by-side comparisons, or the best cited sentences;
- with ``CASEGRAPH_LLM_BASE_URL`` set, an OpenAI-compatible LLM writes the answer from the
  same intent and structured sources, and every citation in it is checked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from api import extractive, intent
from api.answer_types import Answer
from api.compose import AnswerBuilder, Context
from api.composers import choice, comparison, estimate, failure, mechanism, where_used
from api.followup import Turn, has_pronoun, is_follow_up, standalone, user_questions
from api.hygiene import MAX_WORDS as MAX_SENTENCE_WORDS
from api.hygiene import asks_for_tips, clean_sentences
from api.similarity import SentenceSimilarity
from api.study_names import named_studies, study_title, without_study_names
from index.lexical import tokenize
from index.settings import Settings
from index.store import Hit, Index

NOT_COVERED = (
    "The case studies do not cover this question. casegraph answers from its system-design "
    "case studies only; try asking about an architecture, a trade-off or a concept such as "
    "consistent hashing, fan-out or leader election."
)
COMPOSERS: dict[str, Callable[[Context, AnswerBuilder], bool]] = {
    intent.CHOICE: choice.compose,
    intent.COMPARISON: comparison.compose,
    intent.ESTIMATE: estimate.compose,
    intent.FAILURE: failure.compose,
    intent.MECHANISM: mechanism.compose,
}


def quotable_sentences(index: Index) -> list[str]:
    """Every sentence of the index an offline answer may rank (tips included)."""
    return list(dict.fromkeys(
        s.text for chunk in index.chunks for s in clean_sentences(chunk, tips=True)
        if len(s.text.split()) <= MAX_SENTENCE_WORDS))


class AnswerEngine:
    """Answers questions over one index; stateless apart from settings."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._similarity: SentenceSimilarity | None = None

    def similarity(self, index: Index) -> SentenceSimilarity:
        """Sentence similarity with the index's embedder (one vector cache per engine)."""
        if self._similarity is None or self._similarity.embedder is not index.embedder:
            folder = self.settings.index_dir
            store = folder.parent / f".{folder.name}.sentences.npz"  # beside the index link
            self._similarity = SentenceSimilarity(index.embedder, store)
        return self._similarity

    def warm(self, index: Index, stop: threading.Event) -> int:
        """Hold a vector for every quotable sentence of ``index`` ahead of the questions that
        will rank them (the sentence similarity of offline answers), reading the saved ones
        and embedding (then saving) the rest; how many were embedded."""
        if index.keyword_only:
            return 0
        return self.similarity(index).warm(quotable_sentences(index), stop)

    # understanding the question ---------------------------------------------------------
    def standalone_query(self, index: Index, question: str,
                         history: list[Turn] | None) -> tuple[str, str | None]:
        """The question to answer and, for a follow-up, the study the conversation is on.

        A follow-up keeps its own predicate and takes its subject from the latest earlier
        question that names a study; else "it" stands for the concept the last question named
        (retrieval stays on the study that question retrieves best), and a follow-up without
        a pronoun is asked of that study.
        """
        earlier = user_questions(history or [])
        names_study = bool(named_studies(index.graph, question))
        names_concept = bool(index.matcher.find(question))
        if not earlier or not is_follow_up(question, names_study, names_concept):
            return question, None
        for previous in earlier:
            studies = named_studies(index.graph, previous)
            if studies:
                return standalone(question, f"the {study_title(index.graph, studies[0])}"), \
                    studies[0]
        concepts = index.matcher.find(earlier[0])
        if concepts and not names_concept:
            about_concept = standalone(question, index.matcher.get(concepts[0]).name)
            if intent.classify(about_concept, 0, True) == intent.WHERE_USED:
                return about_concept, None
        prior = index.search(earlier[0], k=3)
        if not prior:
            return question, None
        study = prior[0].chunk.study
        if concepts and not names_concept and has_pronoun(question):
            return standalone(question, index.matcher.get(concepts[0]).name), study
        return standalone(question, f"the {study_title(index.graph, study)}"), study

    def covered(self, index: Index, question: str, hits: list[Hit],
                picked: list[extractive.Picked]) -> bool:
        """Whether the retrieved passages answer the question at all.

        The best passage's cosine similarity must clear a bar that is lower when the question
        names a known concept, or uses only words the corpus knows. A keyword-only index has
        no cosines: there the best passage must not be a weak keyword match.
        """
        if not hits or not picked:
            return False
        if index.keyword_only:
            return not hits[0].weak
        s = self.settings
        best = max((h.dense for h in hits if h.dense is not None), default=0.0)
        if best >= s.min_answer_score:
            return True
        if index.matcher.find(question) and best >= s.min_answer_score_with_concept:
            return True
        tokens = tokenize([question])[0]
        known = sum(1 for t in tokens if t in index.term_idf) / len(tokens) if tokens else 0.0
        return known >= 0.95 and best >= s.min_answer_score_in_vocabulary

    # answers ---------------------------------------------------------------------------
    def answer(self, index: Index, question: str, k: int = 8,
               history: list[Turn] | None = None) -> Answer:
        """A complete answer (the streaming variant yields the same thing in pieces)."""
        result: Answer | None = None
        for event, payload in self.stream(index, question, k, history):
            if event == "done":
                result = payload
        assert result is not None
        return result

    def stream(self, index: Index, question: str, k: int = 8,
               history: list[Turn] | None = None) -> Iterator[tuple[str, object]]:
        """Events: ("token", str)*, ("citations", list[Citation]), ("done", Answer).

        A ("reset", reason) event means the LLM failed mid-answer: drop the tokens so far,
        the offline answer follows.
        """
        query, study = self.standalone_query(index, question, history)
        graph_answer = self.graph_answer(index, query)
        if graph_answer is not None:
            yield from _emit(graph_answer)
            return
        hits = index.search(query, k=k, study=study)
        picked = extractive.select(index, query, hits, n=self.settings.answer_sentences)
        if not self.covered(index, query, hits, picked):
            declined = Answer(NOT_COVERED, [], False, "extractive", route="declined", query=query)
            yield from _emit(declined)
            return
        ctx = self.context(index, query, hits, study, k)
        composed = self.compose(ctx, query)
        if self.settings.llm_base_url:
            from api.llm import LLMFailure, stream_llm_answer

            try:
                yield from stream_llm_answer(self.settings, question, ctx, composed)
                return
            except LLMFailure as exc:
                yield "reset", str(exc)
                composed.notice = f"The LLM failed ({exc}); this is the offline extractive answer."
        yield from _emit(composed)

    def context(self, index: Index, query: str, hits: list[Hit], study: str | None,
                k: int) -> Context:
        """The question's intent, the studies it is about (named ones, else the follow-up's
        study, else the best passage's) and the passages to compose from."""
        named = named_studies(index.graph, query)
        kind = intent.classify(query, len(named), bool(index.matcher.find(query)))
        studies = named or ([study] if study else [hits[0].chunk.study])
        topic = without_study_names(index.graph, query) if named else query
        if len(studies) == 1 and (studies[0] != study or topic != query):
            hits = index.search(topic, k=k, study=studies[0])
        return Context(index, topic, kind, studies, hits, tips=asks_for_tips(query),
                       sentences=self.settings.answer_sentences,
                       similarity=None if index.keyword_only else self.similarity(index))

    def compose(self, ctx: Context, query: str) -> Answer:
        """The intent's layout, or the mechanism layout when that one finds nothing to show."""
        for kind in dict.fromkeys([ctx.intent, intent.MECHANISM]):
            builder = AnswerBuilder()
            if COMPOSERS[kind](ctx, builder):
                return builder.build("search", query)
        return AnswerBuilder().build("search", query)

    def graph_answer(self, index: Index, question: str) -> Answer | None:
        """'Where is X used?' from the graph, when the question asks that."""
        found = index.matcher.find(question)
        kind = intent.classify(question, len(named_studies(index.graph, question)), bool(found))
        if kind != intent.WHERE_USED:
            return None
        builder = AnswerBuilder()
        if not where_used.compose(index, index.matcher.get(found[0]), builder):
            return None
        return builder.build("graph", question)


def _emit(answer: Answer) -> Iterator[tuple[str, object]]:
    """Stream a finished answer paragraph by paragraph, then citations, then done."""
    parts = answer.answer.split("\n\n")
    for i, part in enumerate(parts):
        yield "token", part + ("\n\n" if i < len(parts) - 1 else "")
    yield "citations", answer.citations
    yield "done", answer
