"""The answer engine: retrieve, decide whether the corpus covers the question, answer with citations.

Three ways to answer, one result shape:
- "where is X used" questions are answered from the concept graph, with evidence per study;
- offline (the default), the best sentences of the retrieved passages, each cited;
- with ``CASEGRAPH_LLM_BASE_URL`` set, an OpenAI-compatible LLM writes the answer from the same
  numbered sources, and every citation in it is checked against them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from api import extractive
from api.answer_types import Answer, Citation, citation
from api.followup import Turn, is_follow_up, last_user_question
from index.lexical import tokenize
from index.lookups import best_chunks, evidence
from index.settings import Settings
from index.store import Hit, Index

NOT_COVERED = (
    "The case studies do not cover this question. casegraph answers from its system-design "
    "case studies only; try asking about an architecture, a trade-off or a concept such as "
    "consistent hashing, fan-out or leader election."
)
_WHERE_USED = re.compile(
    r"\b(where|which|what)\b.{0,40}\b(used|use|uses|using|rely|relies|appear|appears|apply|"
    r"applies|employ|employs|need|needs|studies|designs|systems)\b"
    r"|\b(across|compare|several|different|many|multiple|other|all)\b.{0,40}"
    r"\b(designs|systems|studies|architectures)\b",
    re.IGNORECASE,
)


class AnswerEngine:
    """Answers questions over one index; stateless apart from settings."""

    def __init__(self, settings: Settings):
        self.settings = settings

    # retrieval -------------------------------------------------------------------------
    def standalone_query(self, index: Index, question: str,
                         history: list[Turn] | None) -> tuple[str, str | None]:
        """The query to retrieve with and, for a follow-up, the study the conversation is on."""
        previous = last_user_question(history or [])
        names_study = any(s["title"].lower() in question.lower() for s in index.graph.studies())
        names_concept = bool(index.matcher.find(question))
        if previous is None or not is_follow_up(question, names_study, names_concept):
            return question, None
        prior = index.search(previous, k=3)
        study = prior[0].chunk.study if prior else None
        return f"{previous} {question}", study

    def covered(self, index: Index, question: str, hits: list[Hit],
                picked: list[extractive.Picked]) -> bool:
        """Whether the retrieved passages answer the question at all.

        The best passage's cosine similarity must clear a bar that is lower when the question
        names a known concept, or uses only words the corpus knows.
        """
        if not hits or not picked:
            return False
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
        graph_answer = self.graph_answer(index, question)
        if graph_answer is not None:
            yield from _emit(graph_answer)
            return
        query, study = self.standalone_query(index, question, history)
        hits = index.search(query, k=k, study=study)
        picked = extractive.select(index, query, hits, n=self.settings.answer_sentences)
        if not self.covered(index, query, hits, picked):
            declined = Answer(NOT_COVERED, [], False, "extractive", route="declined", query=query)
            yield from _emit(declined)
            return
        if self.settings.llm_base_url:
            from api.llm import LLMFailure, stream_llm_answer

            try:
                yield from stream_llm_answer(self.settings, question, query, hits)
                return
            except LLMFailure as exc:
                yield "reset", str(exc)
                fallback = self.extractive_answer(query, picked)
                fallback.notice = f"The LLM failed ({exc}); this is the offline extractive answer."
                yield from _emit(fallback)
                return
        yield from _emit(self.extractive_answer(query, picked))

    def extractive_answer(self, query: str, picked: list[extractive.Picked]) -> Answer:
        """Picked sentences grouped by study, each followed by its citation number."""
        numbers: dict[str, int] = {}
        citations: list[Citation] = []
        groups: dict[str, list[str]] = {}
        for p in picked:
            chunk = p.hit.chunk
            if chunk.id not in numbers:
                numbers[chunk.id] = len(numbers) + 1
                citations.append(citation(numbers[chunk.id], chunk, p.sentence.raw))
            shown = p.sentence.text[:1].upper() + p.sentence.text[1:]
            groups.setdefault(chunk.study_title, []).append(f"{shown} [{numbers[chunk.id]}]")
        paragraphs = [f"**{title}:** " + " ".join(lines) for title, lines in groups.items()]
        return Answer("\n\n".join(paragraphs), citations, True, "extractive", query=query)

    def graph_answer(self, index: Index, question: str, max_studies: int = 8) -> Answer | None:
        """'Where is X used?' from the graph: each study using X with one piece of evidence."""
        if not _WHERE_USED.search(question):
            return None
        found = index.matcher.find(question)
        if not found:
            return None
        concept = index.matcher.get(found[0])
        rows = index.graph.studies_using(concept.id)
        rows = [r for r in rows if r["declared"] or r["mentions"] >= 1][:max_studies]
        if not rows:
            return None
        citations: list[Citation] = []
        lines = []
        for row in rows:
            chunks = best_chunks(index, row["chunks"], concept.id, 1)
            title = (index.graph.study(row["study"]) or {}).get("title", row["study"])
            if not chunks:
                lines.append(f"- **{title}** lists {concept.name} among its key concepts.")
                continue
            ev = evidence(index, chunks[0], concept.id)
            n = len(citations) + 1
            citations.append(citation(n, chunks[0], ev["quote"]))
            lines.append(f"- **{title}**: {ev['snippet']} [{n}]")
        total = len(index.graph.studies_using(concept.id))
        head = f"{concept.name} appears in {total} case stud{'y' if total == 1 else 'ies'}"
        head += f" ({concept.definition})" if concept.definition else ""
        text = head + ":\n\n" + "\n".join(lines)
        if not citations:
            return None
        return Answer(text, citations, True, "extractive", route="graph", query=question)


def _emit(answer: Answer) -> Iterator[tuple[str, object]]:
    """Stream a finished answer paragraph by paragraph, then citations, then done."""
    parts = answer.answer.split("\n\n")
    for i, part in enumerate(parts):
        yield "token", part + ("\n\n" if i < len(parts) - 1 else "")
    yield "citations", answer.citations
    yield "done", answer
