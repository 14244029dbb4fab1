"""The "Design review" tab: paste requirements, read the nearest designs and what to revisit."""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from api.requirements import RequirementsError
from api.review_llm import design_review
from api.review_markdown import review_markdown
from api.services import Services
from index.store import Index

EXAMPLE = (
    "Messaging app for 100M users with group chats of up to 10,000 members. p99 message "
    "delivery must be under 50 ms. Peak 40K messages per second, about 1 KB each, kept for "
    "2 years. Messages must never be lost once acknowledged."
)
EMPTY = "Paste your requirements and press **Review** to see the nearest designs."


def review_tab(services: Services, index: Callable[[], Index]) -> None:
    """Lay out the tab inside the current ``gr.Tabs`` and wire its button."""

    def run(text: str, studies: float) -> str:
        try:
            result = design_review(index(), services.settings, text, int(studies))
        except RequirementsError as exc:
            raise gr.Error(str(exc)) from exc
        return review_markdown(result)

    with gr.Tab("Design review", id="review"), gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=300):
            text = gr.Textbox(label="Your requirements", lines=8, max_lines=20,
                              placeholder="Users, QPS, read/write ratio, latency and durability "
                              "targets, data size...", elem_id="cg-review-text")
            studies = gr.Slider(3, 5, value=3, step=1, label="Nearest studies",
                                elem_id="cg-review-studies")
            button = gr.Button("Review", variant="primary", elem_id="cg-review-run")
            gr.Examples([[EXAMPLE]], [text], label="Example")
        with gr.Column(scale=3, min_width=300):
            out = gr.Markdown(EMPTY, elem_id="cg-review-out")
    button.click(run, [text, studies], out)
