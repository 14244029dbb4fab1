"""The Gradio UI in headless Chromium against a real server: real model, fixture corpus, fresh index.

Screenshots of every tab (1280x800, plus one at 390x844) go to ``test-artifacts/ui/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, build_lock_held, copy_corpus, live_server, make_settings

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "ui"
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                       "(apt-get install -y chromium)"),
]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
# Gradio renders plots and answers after a server round trip; on a busy 2-core machine that
# can take longer than Playwright's 5 s default, so every wait allows 20 s.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live app over a private copy of the corpus whose index is built on start-up."""
    from api.app import create_app

    root = tmp_path_factory.mktemp("ui")
    settings = make_settings(copy_corpus(root), root / "index")
    with live_server(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server: str):
    """A 1280x800 page on the UI, once the index is ready (the status line says so)."""
    page = browser.new_page(viewport=WIDE)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server}/ui/")
    expect(page.locator("#cg-status")).to_contain_text("Index ready", timeout=120_000)
    yield page
    page.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def pick(page, dropdown: str, option: str) -> None:
    """Choose ``option`` in the Gradio dropdown with element id ``dropdown``."""
    page.locator(f"#{dropdown} input").click()
    page.locator("ul[role=listbox] li", has_text=option).first.click()


def tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def test_a_waiting_start_says_so_then_fills_the_pickers(browser, tmp_path) -> None:
    """The page opens while another process builds the index: it says the server waits and
    that it updates by itself; when that build ends, the pickers fill without a reload."""
    from api.app import create_app

    settings = make_settings(copy_corpus(tmp_path), tmp_path / "index")
    with build_lock_held(settings.index_dir) as release, \
            live_server(create_app(settings)) as url:
        page = browser.new_page(viewport=WIDE)
        page.goto(f"{url}/ui/")
        status = page.locator("#cg-status")
        expect(status).to_contain_text("Another process is building the index")
        expect(status).to_contain_text("This page updates by itself")
        release()
        expect(status).to_contain_text("Index ready", timeout=120_000)
        expect(status).to_contain_text("answer mode: offline")
        tab(page, "Studies")
        page.locator("#cg-study input").click()
        expect(page.locator("ul[role=listbox] li", has_text="Geo Finder")).to_be_visible()
        page.close()


def test_chat_answers_with_citations_that_open_their_passage(page) -> None:
    page.get_by_text("Where is consistent hashing used, and why?", exact=True).click()
    expect(page.locator("#cg-question textarea")).to_have_value(
        "Where is consistent hashing used, and why?")
    page.locator("#cg-ask").click()
    chat = page.locator("#cg-chatbot")
    links = chat.locator("a[href^='#cg-cite=']")
    expect(links.first).to_be_visible(timeout=60_000)
    expect(chat).to_contain_text("Key-Value Cache")
    expect(chat).to_contain_text("Chat Relay")
    assert re.search(r"\[1\]", chat.inner_text())
    chat.locator("a[href^='#cg-cite=']", has_text="chat-relay").first.click()
    passage = page.locator("#cg-passage")
    expect(passage).to_contain_text("case-studies/chat-relay/README.md lines")
    expect(passage).to_contain_text("Connection servers are picked with consistent hashing")
    expect(page.locator("#cg-citations input:checked")).to_have_count(1)
    expect(passage.locator("a[href^='#cg-doc=case-studies%2Fkv-cache']")).to_have_count(1)
    assert page.url.endswith("/ui/"), "a citation link navigated away instead of opening beside"
    shot(page, "chat")

    page.locator("#cg-question textarea").fill("How do you keep a payment from being charged twice?")
    page.locator("#cg-ask").click()
    expect(chat).to_contain_text("Not covered by the case studies", timeout=60_000)
    expect(chat.locator(".message-row.user-row")).to_have_count(2)
    page.locator("#cg-clear").click()
    expect(chat.locator(".message-row")).to_have_count(0)
    expect(passage).to_contain_text("Cited passages open here")


def test_search_with_a_study_filter_highlights_and_opens_passages(page) -> None:
    tab(page, "Search")
    page.locator("#cg-query input, #cg-query textarea").first.fill("consistent hashing")
    pick(page, "cg-f-study", "Chat Relay")
    page.locator("#cg-search").click()
    hits = page.locator("#cg-results .cg-hit")
    expect(hits.first).to_be_visible(timeout=30_000)
    heads = page.locator("#cg-results .cg-hit-head").all_inner_texts()
    assert heads and all("Chat Relay" in h for h in heads), heads
    assert page.locator("#cg-results mark").count() > 0
    expect(hits.first.locator(".cg-score")).to_contain_text(
        re.compile(r"cosine 0\.\d\d · keyword match \d+%"))
    expect(hits.first.locator("a[href^='/sources/case-studies/chat-relay/']")).to_have_count(1)
    hits.first.locator("a.cg-open").click()
    expect(page.locator("#cg-search-passage")).to_contain_text("case-studies/chat-relay/")
    shot(page, "search")


def test_concept_shared_by_two_studies_shows_both_and_navigates(page) -> None:
    tab(page, "Concepts")
    pick(page, "cg-concept", "consistent hashing")
    detail = page.locator("#cg-concept-detail")
    expect(detail).to_contain_text("Used in 2 studies", timeout=30_000)
    expect(detail).to_contain_text("Key-Value Cache")
    expect(detail).to_contain_text("Chat Relay")
    expect(detail).to_contain_text("Places keys and nodes on one ring")
    expect(detail).to_contain_text("When to reconsider: When the fleet stops changing size")
    plot = page.locator("#cg-concept-plot")
    expect(plot.locator(".js-plotly-plot")).to_be_visible()
    expect(plot).to_contain_text("Around consistent hashing")
    expect(plot).to_contain_text("modulo hashing")
    shot(page, "concepts")

    page.locator("#cg-related label", has_text="modulo hashing").click()
    expect(detail).to_contain_text("remaps almost every key")
    detail.locator("a", has_text="Key-Value Cache").first.click()
    expect(page.locator("#cg-study-facts")).to_contain_text("Key-Value Cache", timeout=30_000)
    expect(page.get_by_role("tab", name="Studies")).to_have_attribute("aria-selected", "true")


def test_study_chapters_render_as_markdown_with_map(page) -> None:
    tab(page, "Studies")
    pick(page, "cg-study", "Chat Relay")
    facts = page.locator("#cg-study-facts")
    expect(facts).to_contain_text("1M connections", timeout=30_000)
    expect(facts).to_contain_text("Key-Value Cache (shares consistent hashing")
    text = page.locator("#cg-chapter-text")
    expect(text.locator("h2", has_text="Problem")).to_be_visible()
    expect(text).not_to_contain_text("real_world:")  # front matter stripped
    page.locator("#cg-chapter label", has_text="Architecture").click()
    expect(text.locator("h2", has_text="Connection tier")).to_be_visible()
    expect(text.locator("table")).to_be_visible()
    expect(text.locator("ol li")).to_have_count(3)
    plot = page.locator("#cg-map")
    expect(plot.locator(".js-plotly-plot")).to_be_visible()
    expect(plot).to_contain_text("Geo Finder")
    expect(plot).to_contain_text("consistent hashing")
    shot(page, "studies")

    # The README's relative link to another study opens that study in place.
    page.locator("#cg-chapter label", has_text="Overview").click()
    text.locator("a", has_text="Key-Value Cache").click()
    expect(facts).to_contain_text("100K reads/sec")
    expect(text.locator("h2", has_text="Key concepts")).to_be_visible()
    assert page.url.endswith("/ui/")


def test_design_review_tab_shows_nearest_designs_decisions_and_estimates(page) -> None:
    tab(page, "Design review")
    out = page.locator("#cg-review-out")
    expect(out).to_contain_text("Paste your requirements")
    page.locator("#cg-review-run").click()  # nothing typed: a clear error, no review
    expect(page.get_by_text("requirements must not be empty").first).to_be_visible(timeout=30_000)
    page.locator("#cg-review-text textarea").fill(
        "A Redis cache in front of our database: 250K reads per second from 60 app servers, "
        "values of about 2 KB each, read:write 10:1.")
    page.locator("#cg-review-run").click()
    expect(out.get_by_role("heading", name="Nearest designs")).to_be_visible(timeout=60_000)
    nearest = out.locator("li", has_text="(kv-cache)").first
    expect(nearest).to_contain_text("Key-Value Cache")
    expect(nearest).to_contain_text("Redis")
    expect(out.get_by_role("heading", name="Decisions to check")).to_be_visible()
    expect(out).to_contain_text("Consistent Hashing vs Modulo Hashing")
    expect(out).to_contain_text("250K/s x 2 KB = 500 MB/s = 4 Gbps")
    expect(out).to_contain_text("case-studies/kv-cache/03-key-decisions.md:")
    shot(page, "review")


def test_narrow_width_has_no_horizontal_overflow(page) -> None:
    page.set_viewport_size(NARROW)
    page.locator("#cg-question textarea").fill("Where is consistent hashing used, and why?")
    page.locator("#cg-ask").click()
    expect(page.locator("#cg-chatbot a[href^='#cg-cite=']").first).to_be_visible(timeout=60_000)
    page.locator("#cg-chatbot a[href^='#cg-cite=']").first.click()
    expect(page.locator("#cg-passage")).to_contain_text("case-studies/kv-cache/")
    expect(page.locator("#cg-passage")).to_be_in_viewport()  # scrolled to, below the chat
    shot(page, "chat-narrow")
    widths = {}
    for name in ("Chat", "Search", "Concepts", "Studies", "Design review"):
        tab(page, name)
        page.wait_for_timeout(300)
        widths[name] = page.evaluate("document.documentElement.scrollWidth")
    assert all(w <= NARROW["width"] for w in widths.values()), widths


def test_chat_renders_decision_and_comparison_layouts(page) -> None:
    chat = page.locator("#cg-chatbot")
    page.locator("#cg-question textarea").fill(
        "WebSocket vs long polling: which does the chat relay pick?")
    page.locator("#cg-ask").click()
    expect(chat.locator("strong", has_text="When to reconsider:")).to_be_visible(timeout=60_000)
    expect(chat.locator("strong", has_text="Decision:")).to_be_visible()

    page.locator("#cg-question textarea").fill(
        "Compare how the chat relay and the key-value cache use consistent hashing")
    page.locator("#cg-ask").click()
    table = chat.locator("table").last
    expect(table).to_be_visible(timeout=60_000)
    expect(table.locator("th")).to_contain_text(["", "Chat Relay", "Key-Value Cache"])
    expect(table.locator("tbody tr").first).to_contain_text("Approach")
    assert table.locator("a[href^='#cg-cite=']").count() >= 2, "table cells cite their passages"
    table.locator("a[href^='#cg-cite=']").first.click()
    expect(page.locator("#cg-passage")).to_contain_text("lines")
    shot(page, "chat-layouts")


def test_enter_sends_shift_enter_adds_a_line_and_a_new_answer_shows_from_its_start(page) -> None:
    box = page.locator("#cg-question textarea")
    expect(page.locator("#cg-question")).to_contain_text("Enter sends; Shift+Enter starts a new line")
    chat = page.locator("#cg-chatbot")
    page.wait_for_function("() => !!window.__cgBridge")  # the key handler is installed
    box.click()
    box.press_sequentially("Where is consistent hashing used")
    box.press("Shift+Enter")
    box.press_sequentially("and why?")
    expect(box).to_have_value("Where is consistent hashing used\nand why?")
    expect(chat.locator(".message-row")).to_have_count(0)
    box.press("Enter")
    expect(chat.locator("a[href^='#cg-cite=']").first).to_be_visible(timeout=60_000)
    expect(box).to_have_value("")
    box.fill("How does a chat relay keep sockets alive, and what do clients do on reconnect?")
    box.press("Enter")
    questions = chat.locator(".message-row.user-row")
    expect(questions).to_have_count(2, timeout=60_000)
    expect(chat.locator(".message-row.bot-row")).to_have_count(2, timeout=60_000)
    page.wait_for_timeout(500)
    top = page.evaluate("""() => {
        const rows = document.querySelectorAll('#cg-chatbot .message-row.user-row');
        const last = rows[rows.length - 1].getBoundingClientRect();
        const box = document.querySelector('#cg-chatbot').getBoundingClientRect();
        return [last.top - box.top, box.height];
    }""")
    assert 0 <= top[0] < top[1] / 2, f"the new question is not near the top of the chat: {top}"
    shot(page, "chat-enter")


def test_concepts_and_studies_open_with_a_default(page) -> None:
    tab(page, "Concepts")
    detail = page.locator("#cg-concept-detail")
    expect(detail).to_contain_text("Used in", timeout=30_000)
    expect(page.locator("#cg-concept-plot .js-plotly-plot")).to_be_visible(timeout=30_000)
    tab(page, "Studies")
    facts = page.locator("#cg-study-facts")
    expect(facts).to_contain_text("Concepts", timeout=30_000)
    expect(page.locator("#cg-chapter-text h2").first).to_be_visible(timeout=30_000)
    expect(page.locator("#cg-map")).to_contain_text("highlighted", timeout=30_000)
    shot(page, "studies-default")


def test_concept_graph_is_capped_with_the_selected_label_on_top(page) -> None:
    from ui.app import GRAPH_EDGES, GRAPH_NODES

    tab(page, "Concepts")
    pick(page, "cg-concept", "consistent hashing")
    plot = page.locator("#cg-concept-plot")
    expect(plot).to_contain_text("Around consistent hashing", timeout=30_000)
    counts = page.evaluate("""() => {
        const fig = document.querySelector('#cg-concept-plot .js-plotly-plot');
        const nodes = fig.data.filter(t => t.mode === 'markers+text')
            .reduce((n, t) => n + t.x.length, 0);
        const edges = fig.data.filter(t => t.mode === 'lines')
            .reduce((n, t) => n + t.x.filter(x => x === null).length, 0);
        const labels = (fig.layout.annotations || []).map(a => a.text);
        return {nodes, edges, labels};
    }""")
    assert 2 <= counts["nodes"] <= GRAPH_NODES and 1 <= counts["edges"] <= GRAPH_EDGES, counts
    assert counts["labels"] == ["<b>consistent hashing</b>"], counts
    shot(page, "concept-graph")


def test_api_docs_render_with_no_network_beyond_the_server(browser, server: str) -> None:
    page = browser.new_page(viewport=WIDE)
    outside: list[str] = []

    def only_local(route) -> None:
        if route.request.url.startswith(server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(f"{server}/docs")
    expect(page.locator(".swagger-ui .opblock-summary-path", has_text="/search").first
           ).to_be_visible(timeout=30_000)
    shot(page, "docs")
    page.goto(f"{server}/redoc")
    expect(page.get_by_text("Hybrid (BM25 + dense) search").first).to_be_visible(timeout=30_000)
    page.close()
    assert not outside, f"the docs asked for outside resources: {outside}"


def test_keyword_only_status_then_hybrid_relevance_and_weak_marks(browser, tmp_path,
                                                                  gated_embedding) -> None:
    """A first start whose passage embedding is held back: the status line and the search
    results say keyword-only; once the vectors are in, hits show cosine and weak marks."""
    from api.app import create_app

    release = gated_embedding
    settings = make_settings(copy_corpus(tmp_path), tmp_path / "index")
    with live_server(create_app(settings)) as url:
        page = browser.new_page(viewport=WIDE)
        try:
            page.goto(f"{url}/ui/")
            status = page.locator("#cg-status")
            expect(status).to_contain_text(re.compile(
                r"Keyword results while the semantic index builds: \d+ of \d+ passages"),
                timeout=60_000)
            tab(page, "Search")
            query = page.locator("#cg-query input, #cg-query textarea").first
            query.fill("nearest scooters")
            page.locator("#cg-search").click()
            results = page.locator("#cg-results")
            expect(results.locator(".cg-notice")).to_contain_text("Keyword results",
                                                                   timeout=30_000)
            expect(results.locator(".cg-hit").first).to_contain_text("Geo Finder")
            expect(results.locator(".cg-score").first).to_contain_text(
                re.compile(r"^keyword match \d+%$"))
            shot(page, "search-keyword-only")

            release.set()
            expect(status).to_contain_text("Index ready", timeout=120_000)
            page.locator("#cg-search").click()
            expect(results.locator(".cg-notice")).to_have_count(0, timeout=30_000)
            expect(results.locator(".cg-score").first).to_contain_text(
                re.compile(r"cosine 0\.\d\d · keyword match \d+%"))
            expect(results.locator(".cg-hit").first.locator(".cg-weak")).to_have_count(0)
            shot(page, "search-relevance")

            query.fill("q one")
            page.locator("#cg-search").click()
            expect(results.locator(".cg-hit").first).not_to_contain_text("Geo Finder > Problem",
                                                                         timeout=30_000)
            hits = results.locator(".cg-hit")
            expect(results.locator(".cg-weak")).to_have_count(hits.count())
            assert hits.count() > 0
            shot(page, "search-weak")
        finally:
            release.set()
            page.close()


def test_ui_pages_use_the_casegraph_favicon(browser, server: str) -> None:
    page = browser.new_page(viewport=WIDE)
    page.goto(f"{server}/ui/")
    icon = page.evaluate("""() => {
        const link = document.querySelector("link[rel~='icon']");
        return new URL(link ? link.getAttribute('href') : '/favicon.ico', location.href).href;
    }""")
    own = httpx.get(f"{server}/favicon.ico").content
    assert httpx.get(icon).content == own, icon
    page.close()
