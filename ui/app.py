"""The Gradio interface: chat, search, concepts, studies and design review, over the
in-process services."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gradio as gr

from api.answer import AnswerEngine
from api.answer_types import Answer, Citation
from api.followup import Turn
from api.services import IndexNotReady, Services
from index import lookups
from index.store import FilterError, Index
from ui import plots, render
from ui.assets import BRIDGE_JS
from ui.review_tab import review_tab

EXAMPLES = [
    "Where is consistent hashing used, and why?",
    "How does a chat service deliver messages to offline users?",
    "Geohash or quadtree for finding nearby drivers?",
    "How do you keep a payment from being charged twice?",
    "What happens when a Kafka partition leader dies?",
]
ANY = "(any)"
GRAPH_NODES = 20
GRAPH_EDGES = 40


def build_ui(services: Services, engine: AnswerEngine) -> gr.Blocks:
    """The whole interface; every handler reads the current index from ``services``."""

    def index() -> Index:
        try:
            return services.index
        except IndexNotReady as exc:
            raise gr.Error(str(exc)) from exc

    def docs(idx: Index) -> dict[str, str]:
        """Content-relative document paths to their study id, for in-app links."""
        return {c.path: c.study for c in idx.chunks}

    def status() -> str:
        if services.keyword_only:
            return f"{services.keyword_notice()} This page updates by itself."
        if services.ready:
            m = services.index.manifest
            llm = services.settings.llm_base_url
            mode = f"LLM ({services.settings.llm_model})" if llm else "offline (extractive)"
            return (f"Index ready: {m.counts.get('studies', 0)} studies, "
                    f"{m.counts.get('chunks', 0)} passages, {m.counts.get('concepts', 0)} concepts"
                    f" · answer mode: **{mode}**")
        if services.state == "failed":
            return f"⚠️ {services.message}"
        if services.state == "empty":
            return "⏳ Starting: loading the embedding model and the index. This page updates by itself."
        return f"⏳ {services.message} This page updates by itself."

    # chat ------------------------------------------------------------------------------
    def respond(question: str, messages: list, turns: list) -> Iterator[tuple]:
        question = (question or "").strip()
        if not question:
            raise gr.Error("Type a question first.")
        if len(question) > 1000:
            raise gr.Error("Questions are limited to 1000 characters; shorten it.")
        idx = index()
        history = [Turn(t["role"], t["content"]) for t in turns]
        messages = [*messages, {"role": "user", "content": question},
                    {"role": "assistant", "content": ""}]
        partial = ""
        answer: Answer | None = None
        for event, payload in engine.stream(idx, question, k=8, history=history):
            if event == "token":
                partial += str(payload)
                messages[-1] = {"role": "assistant", "content": partial}
                yield "", messages, turns, gr.update(), gr.update(), gr.update()
            elif event == "reset":
                partial = ""
                messages[-1] = {"role": "assistant", "content": ""}
            elif event == "done":
                answer = payload
        assert answer is not None
        messages[-1] = {"role": "assistant", "content": render.answer_markdown(answer, docs(idx))}
        turns = [*turns, {"role": "user", "content": question},
                 {"role": "assistant", "content": answer.answer}]
        choices = [render.citation_label(c) for c in answer.citations]
        first = _passage(idx, answer.citations[0]) if answer.citations else (
            "The answer has no sources: the question is outside the case studies.")
        yield ("", messages, turns,
               gr.update(choices=choices, value=choices[0] if choices else None),
               first, [c.__dict__ for c in answer.citations])

    def _passage(idx: Index, cite: Citation) -> str:
        chunk = idx.chunk(cite.chunk_id)
        return render.passage_markdown(chunk, docs(idx)) if chunk else "Passage no longer in the index."

    def open_citation(label: str | None, cites: list) -> str | dict:
        for c in cites or []:
            cite = Citation(**c)
            if render.citation_label(cite) == label:
                return _passage(index(), cite)
        return gr.update()

    def follow(value: str | None, cites: list, shown: str | None) -> tuple:
        """An in-app link was clicked: open a passage, or go to a study, chapter or concept.

        ``shown`` is the study on the Studies tab; a chapter of another study is remembered in
        the ``want`` output and opened by ``show_study`` once that study is loaded.
        """
        kind, _, key = (value or "").rpartition("|")[0].partition(":")
        same = gr.update()
        out = dict(passage=same, pick=same, hit=same, tab=same, study=same, concept=same,
                   chapter=same, want=None)
        idx = index()
        if kind in ("cite", "hit"):
            chunk = idx.chunk(key)
            text = render.passage_markdown(chunk, docs(idx)) if chunk else "Passage no longer in the index."
            if kind == "hit":
                out["hit"] = text
            else:
                labels = [render.citation_label(Citation(**c)) for c in cites or []
                          if c["chunk_id"] == key]
                out["passage"], out["pick"] = text, gr.update(value=labels[0] if labels else None)
        elif kind == "study":
            out["tab"], out["study"] = gr.Tabs(selected="studies"), gr.update(value=key)
        elif kind == "doc" and key in docs(idx):
            out["tab"], study = gr.Tabs(selected="studies"), docs(idx)[key]
            if study == shown:
                out["chapter"] = gr.update(value=key)
            else:
                out["study"], out["want"] = gr.update(value=study), key
        elif kind == "concept":
            names = {c.id: c.name for c in idx.graph.concepts()}
            out["tab"] = gr.Tabs(selected="concepts")
            out["concept"] = gr.update(value=names.get(key, key))
        return tuple(out.values())

    # search ----------------------------------------------------------------------------
    def run_search(query: str, study: str, chapter: str, concept: str, k: int) -> str:
        query = (query or "").strip()
        if not query:
            raise gr.Error("Type something to search for.")
        idx = index()
        try:
            hits = idx.search(query, k=int(k), study=None if study in (None, ANY) else study,
                              chapter=None if chapter in (None, ANY) else chapter,
                              concept=None if concept in (None, ANY) else concept)
        except FilterError as exc:
            raise gr.Error(str(exc)) from exc
        notice = services.keyword_notice() if idx.keyword_only else ""
        return render.results_html([h.to_result() for h in hits], query, notice)

    # concepts --------------------------------------------------------------------------
    def show_concept(name: str | None):
        if not name:
            return "Pick a concept.", None, gr.update(choices=[]), gr.update(choices=[])
        idx = index()
        try:
            detail = lookups.concept_detail(idx, name)
        except lookups.NotFound as exc:
            raise gr.Error(str(exc)) from exc
        data = idx.graph.neighbourhood(detail["id"], depth=1, limit=GRAPH_NODES,
                                       max_edges=GRAPH_EDGES)
        figure = plots.neighbourhood_figure(data, f"concept:{detail['id']}")
        related = [r["name"] for r in detail["related"]] + [a["name"] for a in detail["alternatives"]]
        studies = [f"{s['title']} ({s['id']})" for s in detail["studies"]]
        return (render.concept_markdown(detail), figure,
                gr.update(choices=list(dict.fromkeys(related)), value=None),
                gr.update(choices=studies, value=None))

    def go_concept(name: str | None):
        return gr.update(value=name) if name else gr.update()

    # studies ---------------------------------------------------------------------------
    def study_choices() -> list[tuple[str, str]]:
        """(title, id) of every study, by title, for pickers that filter as one types."""
        if not services.ready:
            return []
        studies = services.index.graph.studies()
        return sorted(((s["title"], s["id"]) for s in studies), key=lambda c: c[0].lower())

    def show_study(study_id: str | None, want: str | None = None):
        """The facts of a study and its chapters, opening ``want`` (a path) or the overview."""
        if not study_id:
            return "Pick a study.", gr.update(choices=[]), ""
        idx = index()
        try:
            detail = lookups.study_detail(idx, study_id)
        except lookups.NotFound as exc:
            raise gr.Error(str(exc)) from exc
        names = {c.id: c.name for c in idx.graph.concepts()}
        ordered = sorted(detail["chapters"], key=lambda c: (c["chapter"] != "overview", c["path"]))
        chapters = [("Overview" if c["chapter"] == "overview" else c["title"], c["path"])
                    for c in ordered]
        paths = [path for _, path in chapters]
        first = want if want in paths else (paths[0] if paths else None)
        return (render.study_markdown(detail, names), gr.update(choices=chapters, value=first),
                read_chapter(first))

    def read_chapter(path: str | None) -> str:
        if not path:
            return ""
        root = Path(services.settings.content_dir).resolve()
        target = (root / path).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return "This chapter is not in the content folder."
        return render.chapter_markdown(target.read_text(encoding="utf-8"), path, docs(index()))

    def open_study(label: str | None):
        if not label:
            return gr.update(), gr.update()
        study_id = label.rsplit("(", 1)[-1].rstrip(")")
        return gr.Tabs(selected="studies"), gr.update(value=study_id)

    def study_map(focus: str | None = None):
        """The concept map of all studies, ``focus`` (a study id) highlighted."""
        if not services.ready:
            return None
        graph = services.index.graph
        names = {c.id: c.name for c in graph.concepts()}
        uses: dict[str, list[str]] = {}
        for s in graph.studies():
            for row in graph.study_concepts(s["id"]):
                uses.setdefault(names.get(row["concept"], row["concept"]), []).append(s["id"])
        return plots.study_map_figure(lookups.study_summaries(services.index), uses, focus)

    def poll() -> tuple[str, bool]:
        return status(), services.ready

    def refresh_choices():
        """Fill the pickers from the index, opening the most used concept and the first study."""
        if not services.ready:
            return (gr.update(), gr.update(), gr.update(), gr.update(), gr.update())
        idx = services.index
        concept_names = sorted((c.name for c in idx.graph.concepts()), key=str.lower)
        most_used = lookups.list_concepts(idx)
        studies = study_choices()
        return (gr.update(choices=[(ANY, ANY), *studies]),
                gr.update(choices=[ANY, *sorted(idx.chapters)]),
                gr.update(choices=[ANY, *concept_names]),
                gr.update(choices=concept_names, value=most_used[0]["name"] if most_used else None),
                gr.update(choices=studies, value=studies[0][1] if studies else None))

    with gr.Blocks(title="casegraph", analytics_enabled=False) as ui:
        bridge = gr.HTML("", html_template="", js_on_load=BRIDGE_JS, visible="hidden",
                         elem_id="cg-bridge")
        gr.Markdown("# casegraph\nSearch and ask across system-design case studies; every "
                    "answer cites the passages it comes from.")
        status_md = gr.Markdown(status(), elem_id="cg-status")
        ready = gr.State(False)
        with gr.Tabs(overflow_behavior="wrap") as tabs:  # five tabs: wrap on phones
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=300):
                        chatbot = gr.Chatbot(label="Conversation", height=400,
                                             autoscroll=False, elem_id="cg-chatbot")
                        question = gr.Textbox(label="Your question", lines=2, max_lines=6,
                                              placeholder="e.g. How does a broker elect a new "
                                              "partition leader?", elem_id="cg-question",
                                              info="Enter sends; Shift+Enter starts a new line.")
                        with gr.Row():
                            ask_btn = gr.Button("Ask", variant="primary", elem_id="cg-ask")
                            clear_btn = gr.Button("Clear history", elem_id="cg-clear")
                        gr.Examples(EXAMPLES, inputs=question, label="Try one")
                    with gr.Column(scale=2, min_width=300):
                        cite_pick = gr.Radio(label="Sources of the last answer", choices=[],
                                             elem_id="cg-citations")
                        passage = gr.Markdown("Cited passages open here.", elem_id="cg-passage")
                turns = gr.State([])
                cites = gr.State([])
            with gr.Tab("Search", id="search"):
                with gr.Row():
                    query = gr.Textbox(label="Search", scale=4, min_width=240, elem_id="cg-query",
                                       placeholder="e.g. exactly-once delivery")
                    k = gr.Slider(1, 50, value=10, step=1, label="Results", scale=1,
                                  min_width=160)
                with gr.Row():
                    f_study = gr.Dropdown([ANY], value=ANY, label="Study", filterable=True,
                                          min_width=160, elem_id="cg-f-study")
                    f_chapter = gr.Dropdown([ANY], value=ANY, label="Chapter", min_width=160,
                                            elem_id="cg-f-chapter")
                    f_concept = gr.Dropdown([ANY], value=ANY, label="Concept", filterable=True,
                                            min_width=160, elem_id="cg-f-concept")
                search_btn = gr.Button("Search", variant="primary", elem_id="cg-search")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=300):
                        results = gr.HTML(elem_id="cg-results")
                    with gr.Column(scale=2, min_width=300):
                        search_passage = gr.Markdown("Open a passage from the results to read it "
                                                     "here.", elem_id="cg-search-passage")
            with gr.Tab("Concepts", id="concepts"), gr.Row(equal_height=False):
                with gr.Column(scale=2, min_width=300):
                    concept_pick = gr.Dropdown([], label="Concept", filterable=True,
                                               elem_id="cg-concept")
                    concept_md = gr.Markdown(elem_id="cg-concept-detail")
                with gr.Column(scale=3, min_width=300):
                    concept_plot = gr.Plot(label="Neighbourhood in the graph",
                                           elem_id="cg-concept-plot")
                    related_pick = gr.Radio([], label="Go to a related concept",
                                            elem_id="cg-related")
                    concept_studies = gr.Radio([], label="Open a study that uses it",
                                               elem_id="cg-concept-studies")
            with gr.Tab("Studies", id="studies"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1, min_width=280):
                        study_pick = gr.Dropdown(study_choices(), label="Study",
                                                 filterable=True, elem_id="cg-study")
                        study_md = gr.Markdown(elem_id="cg-study-facts")
                    with gr.Column(scale=3, min_width=300):
                        chapter_pick = gr.Radio([], label="Chapter", elem_id="cg-chapter")
                        chapter_md = gr.Markdown(elem_id="cg-chapter-text")
                map_plot = gr.Plot(label="Concept map of all studies", elem_id="cg-map")
            review_tab(services, index)

        outputs = [question, chatbot, turns, cite_pick, passage, cites]
        ask_btn.click(respond, [question, chatbot, turns], outputs)
        question.submit(respond, [question, chatbot, turns], outputs)
        clear_btn.click(lambda: ([], [], gr.update(choices=[], value=None),
                                 "Cited passages open here.", []),
                        None, [chatbot, turns, cite_pick, passage, cites])
        cite_pick.change(open_citation, [cite_pick, cites], passage)
        want_chapter = gr.State(None)
        bridge.change(follow, [bridge, cites, study_pick],
                      [passage, cite_pick, search_passage, tabs, study_pick, concept_pick,
                       chapter_pick, want_chapter],
                      show_progress="hidden")
        search_btn.click(run_search, [query, f_study, f_chapter, f_concept, k], results)
        query.submit(run_search, [query, f_study, f_chapter, f_concept, k], results)
        concept_pick.change(show_concept, concept_pick,
                            [concept_md, concept_plot, related_pick, concept_studies])
        related_pick.change(go_concept, related_pick, concept_pick)
        concept_studies.change(open_study, concept_studies, [tabs, study_pick])
        study_pick.change(show_study, [study_pick, want_chapter], [study_md, chapter_pick, chapter_md])
        study_pick.change(study_map, study_pick, map_plot)
        chapter_pick.change(read_chapter, chapter_pick, chapter_md)

        # The index may still be building when the page opens: poll, and fill the pickers
        # and the map as soon as it is ready (and again after a rebuild).
        timer = gr.Timer(3.0)
        timer.tick(poll, None, [status_md, ready], show_progress="hidden")
        ui.load(poll, None, [status_md, ready], show_progress="hidden")
        ready.change(refresh_choices, None, [f_study, f_chapter, f_concept, concept_pick, study_pick])
    return ui
