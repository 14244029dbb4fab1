"""The ``casegraph`` command: ingest, prepare, search, concept, stats, ask, review, eval, mcp, serve."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from api.remote import Remote, ServerUnreachable
from index.manifest import IndexLoadError
from index.settings import Settings
from index.stores import MODES
from ingest.errors import IngestError

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


def _settings(args: argparse.Namespace) -> Settings:
    updates = {}
    if getattr(args, "index", None):
        updates["index_dir"] = Path(args.index)
    if getattr(args, "content", None):
        updates["content_dir"] = Path(args.content)
    return Settings(**updates)


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False))


def cmd_ingest(args: argparse.Namespace) -> int:
    from api.loader import embedder_for
    from index.stores import open_backend
    from index.vector_cache import EMBEDDINGS_FILE, write_vector_cache
    from ingest.pipeline import ingest

    settings = _settings(args)
    started = time.perf_counter()
    backend, embedder = open_backend(settings), embedder_for(settings)
    report = ingest(settings.content_dir, backend, embedder,
                    progress=not args.quiet, max_file_bytes=settings.max_file_bytes,
                    max_chunks=settings.max_chunks)
    m = report.manifest
    counts = ", ".join(f"{k} {v}" for k, v in m.counts.items())
    print(f"Indexed {settings.content_dir} -> {report.location} (version {report.version}) in "
          f"{time.perf_counter() - started:.1f}s ({counts}).")
    print(f"Embedded {report.embedded} chunks, reused {report.reused} cached embeddings.")
    numeric, parsed = m.counts.get("numeric_triggers", 0), m.counts.get("parsed_triggers", 0)
    if numeric:
        print(f"Parsed {parsed} of {numeric} numeric 'When to reconsider' triggers into "
              f"conditions ({parsed / numeric:.0%}).")
    if report.skipped:
        print(f"Skipped (links out of the content folder, or not regular files): "
              f"{', '.join(report.skipped)}")
    if report.unmatched:
        terms = ", ".join(f"{t} ({n})" for t, n in report.unmatched)
        print(f"Frequent terms matching no concept (chunks): {terms}")
    if args.save_embeddings:
        target = settings.content_dir / EMBEDDINGS_FILE
        count = write_vector_cache(target, embedder.name,
                                   backend.cached_vectors(embedder.name, embedder.dimension))
        print(f"Saved {count} passage vectors to {target}; a fresh build reuses them.")
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    from index.onnx_model import ensure_onnx, onnx_path

    settings = _settings(args)
    if settings.embed_backend == "torch":
        print("CASEGRAPH_EMBED_BACKEND is torch: nothing to prepare.")
        return 0
    variant = "int8" if settings.embed_backend == "onnx-int8" else "fp32"
    folder = Path(settings.model_path)
    existed = onnx_path(folder, settings.model_cache_dir, variant).is_file()
    started = time.perf_counter()
    path = ensure_onnx(folder, settings.model_cache_dir, variant)
    verb = "Reusing" if existed else f"Exported and checked in {time.perf_counter() - started:.1f}s:"
    print(f"{verb} {path}")
    return 0


def _remote(args: argparse.Namespace) -> Remote | None:
    """The configured server (``CASEGRAPH_SERVER_URL``), unless ``--index`` names a local one."""
    settings = _settings(args)
    if not settings.server_url or getattr(args, "index", None):
        return None
    return Remote(settings.server_url, settings.server_timeout_s)


def _searcher(args: argparse.Namespace) -> Callable[[str], dict]:
    """query -> the search payload, from the configured server or the local index."""
    remote = _remote(args)
    if remote is not None:
        def search(query: str) -> dict:
            data = remote.search(query, args.k, args.study, args.chapter, args.concept,
                                 args.mode)
            if data.get("notice"):
                print(data["notice"], file=sys.stderr)
            return {"query": data["query"], "results": data["results"]}

        return search
    from api.loader import load_index

    index = load_index(_settings(args))

    def search_locally(query: str) -> dict:
        hits = index.search(query, k=args.k, study=args.study, chapter=args.chapter,
                            concept=args.concept, mode=args.mode)
        return {"query": query, "results": [h.to_result() for h in hits]}

    return search_locally


def _print_results(payload: dict) -> None:
    from index.relevance import relevance_label

    if not payload["results"]:
        print("No results.")
    for n, r in enumerate(payload["results"], 1):
        weak = " · weak match" if r["weak"] else ""
        print(f"{n}. [{relevance_label(r)}{weak}] {r['study_title']} / {r['heading']}")
        print(f"   {r['path']}:{r['start_line']}-{r['end_line']}")
        snippet = " ".join(r["text"].split())
        print(f"   {snippet[:220]}{'...' if len(snippet) > 220 else ''}")


def cmd_search(args: argparse.Namespace) -> int:
    search = _searcher(args)
    if not args.query:
        for line in sys.stdin:
            if line.strip():
                _print_json(search(line.strip()))
                sys.stdout.flush()
        return 0
    payload = search(args.query)
    if args.json:
        _print_json(payload)
    else:
        _print_results(payload)
    return 0


def cmd_concept(args: argparse.Namespace) -> int:
    remote = _remote(args)
    if remote is not None:
        detail = remote.concept(args.name)
    else:
        from api.loader import load_index
        from index.lookups import concept_detail

        detail = concept_detail(load_index(_settings(args), search=False), args.name)
    if args.json:
        _print_json(detail)
        return 0
    print(f"{detail['name']} ({detail['category']})")
    print(f"  {detail['definition']}")
    if detail["aliases"]:
        print(f"  Also called: {', '.join(detail['aliases'])}")
    print(f"Used in {len(detail['studies'])} studies:")
    for s in detail["studies"]:
        mark = "*" if s["declared"] else " "
        passages = "passage" if s["mentions"] == 1 else "passages"
        print(f" {mark} {s['title']} ({s['id']}, {s['mentions']} {passages})")
        for ev in s["evidence"]:
            print(f"     {ev['path']}:{ev['start_line']}  {ev['snippet'][:160]}")
    if detail["related"]:
        print("Related: " + ", ".join(r["name"] for r in detail["related"]))
    if not detail["alternatives"]:
        print("Alternatives: none weighed against it in a key decision.")
    for alt in detail["alternatives"]:
        print(f"Alternative: {alt['name']}")
        for d in alt["decisions"]:
            print(f"   in {d['study']}: {d['heading']}")
            if d["reconsider"]:
                print(f"     when to reconsider: {d['reconsider'][:200]}")
    return 0


def _stats(args: argparse.Namespace) -> dict:
    """What ``stats`` prints, from the configured server's /health or the local index."""
    remote = _remote(args)
    if remote is not None:
        health = remote.health()
        if health["status"] not in ("ok", "keyword-only"):
            raise RuntimeError(f"the server at {remote.base_url} has no index yet: "
                               f"{health['message']}")
        return {"index": remote.base_url, "version": health["version"],
                "model": health["model"], "dimension": health["dimension"],
                "built_at": health["built_at"], "build_seconds": health["build_seconds"],
                "counts": health["counts"]}
    from index.stores import open_backend

    backend = open_backend(_settings(args))
    version, manifest = backend.active_manifest()
    return {"index": backend.describe(), "version": version, "model": manifest.model_name,
            "dimension": manifest.dimension, "built_at": manifest.built_at,
            "build_seconds": manifest.build_seconds, "counts": manifest.counts}


def cmd_stats(args: argparse.Namespace) -> int:
    data = _stats(args)
    if args.json:
        _print_json(data)
    else:
        print(f"Index {data['index']} (version {data['version']}) built {data['built_at']} "
              f"in {data['build_seconds']}s "
              f"with {data['model']} ({data['dimension']} dims)")
        for key, value in data["counts"].items():
            print(f"  {key:16} {value}")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    remote = _remote(args)
    if remote is not None:
        answer = remote.ask(args.question, args.k)
        answer.pop("keyword_only", None)
    else:
        from api.answer import AnswerEngine
        from api.loader import load_index

        settings = _settings(args)
        answer = AnswerEngine(settings).answer(load_index(settings), args.question,
                                               k=args.k).to_dict()
    if args.json:
        _print_json(answer)
        return 0
    _print_answer(answer)
    return 0


def _print_answer(answer: dict) -> None:
    """The answer's markdown rendered for the terminal (plain text when piped), then sources."""
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console(highlight=False)
    if not answer["grounded"]:
        console.print("[bold yellow]Not covered by the case studies.[/]")
    console.print(Markdown(answer["answer"]))
    if answer.get("notice"):
        console.print(answer["notice"], style="italic", markup=False)
    if answer["citations"]:
        console.print("\n[bold]Sources[/]")
    for c in answer["citations"]:
        console.print(f"  [{c['n']}] {c['path']}:{c['start_line']}-{c['end_line']} "
                      f"({c['heading']})", markup=False)


def cmd_eval(args: argparse.Namespace) -> int:
    from api.answer_quality import (
        evaluate_answers,
        format_answer_report,
        is_answer_set,
        load_answer_set,
    )
    from api.evaluation import evaluate, format_report, load_questions
    from api.loader import load_index
    from api.review_eval import evaluate_reviews, format_review_report, is_review_file, load_cases

    settings = _settings(args)
    path = Path(args.questions)
    if not path.is_file():
        raise FileNotFoundError(f"No question file '{path}'")
    if is_review_file(path):
        review_report = evaluate_reviews(load_index(settings), load_cases(path))
        print(json.dumps(review_report, indent=2) if args.json
              else format_review_report(review_report))
        return 0
    if is_answer_set(path):
        items = load_answer_set(path)
        answer_report = evaluate_answers(load_index(settings), items, settings)
        print(json.dumps(answer_report, indent=2) if args.json
              else format_answer_report(answer_report))
        return 0
    questions = load_questions(path)
    modes = [*MODES, "ask"] if args.mode == "all" else [args.mode]
    report = evaluate(load_index(settings), questions, modes, settings)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def _read_text(source: str) -> str:
    """The text of a file, or of stdin for ``-``."""
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"No requirements file '{source}' (give a path, or - for stdin)")
    return path.read_text(encoding="utf-8")


def cmd_review(args: argparse.Namespace) -> int:
    from api.loader import load_index
    from api.requirements import check_text
    from api.review_llm import design_review
    from api.review_markdown import review_markdown

    text = check_text(_read_text(args.file))
    settings = _settings(args)
    result = design_review(load_index(settings), settings, text, args.studies)
    print(json.dumps(result.to_dict(), ensure_ascii=False) if args.json
          else review_markdown(result))
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    from api.mcp_server import build_server

    build_server(_settings(args)).run("stdio")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from api.server import serve

    if args.workers < 1:
        raise ValueError("--workers must be at least 1")
    serve(_settings(args), host=args.host, port=args.port, workers=args.workers)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="casegraph", description="Knowledge-graph search and grounded Q&A over "
        "system-design case studies.")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_index(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--index", help="index directory (default: CASEGRAPH_INDEX_DIR)")
        return p

    p = with_index(sub.add_parser("ingest", help="build the index from a content folder"))
    p.add_argument("content", nargs="?", help="content folder (default: CASEGRAPH_CONTENT_DIR)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--save-embeddings", action="store_true",
                   help="then write every passage vector into the content folder, so a "
                   "fresh clone's first build need not embed them")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("prepare", help="export the embedding model for ONNX Runtime once "
                       "(set-up runs it; later commands reuse the file)")
    p.set_defaults(func=cmd_prepare)

    p = with_index(sub.add_parser("search", help="hybrid search; no QUERY reads queries "
                                  "from stdin, one per line, printing JSON lines"))
    p.add_argument("query", nargs="?")
    p.add_argument("-k", type=int, default=5, help="number of results (1-50)")
    p.add_argument("--study")
    p.add_argument("--chapter")
    p.add_argument("--concept")
    p.add_argument("--mode", choices=MODES, default="hybrid")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = with_index(sub.add_parser("concept", help="a concept: definition, studies, relations"))
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_concept)

    p = with_index(sub.add_parser("stats", help="counts, build time and model of the index"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    p = with_index(sub.add_parser("ask", help="a grounded answer with citations"))
    p.add_argument("question")
    p.add_argument("-k", type=int, default=8)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ask)

    p = with_index(sub.add_parser("eval", help="retrieval quality on a labelled question file, "
                                  "answer quality on an answer set, or a design review set"))
    p.add_argument("questions", help="JSONL with question, studies (ids), kind; an answer set "
                   "with intent and nuggets; or a design review set with text, nearest, "
                   "decisions (bench/README.md)")
    p.add_argument("--mode", choices=[*MODES, "ask", "all"], default="all",
                   help="ask: the studies /ask would cite (graph answers for where-used questions)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = with_index(sub.add_parser("review", help="design review of a requirements text: nearest "
                                  "studies, decisions whose triggers your numbers cross, estimates"))
    p.add_argument("file", help="requirements text file, or - to read stdin")
    p.add_argument("--studies", type=int, default=3, choices=range(3, 6), metavar="{3,4,5}",
                   help="how many nearest studies to review (3-5)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_review)

    p = with_index(sub.add_parser("mcp", help="serve search, ask, concept, compare and review "
                                  "as Model Context Protocol tools over stdio"))
    p.set_defaults(func=cmd_mcp)

    p = with_index(sub.add_parser("serve", help="run the API and UI (builds the index if none)"))
    p.add_argument("--content", help="content folder (default: CASEGRAPH_CONTENT_DIR)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1,
                   help="server processes; each loads the index read-only and follows "
                   "new versions (default 1)")
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "k", None) is not None and not 1 <= args.k <= 50:
        parser.error("-k must be between 1 and 50")
    try:
        return args.func(args)
    except (IngestError, IndexLoadError, RuntimeError) as exc:
        print(f"casegraph: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except (LookupError, FileNotFoundError, ValueError, ServerUnreachable) as exc:
        print(f"casegraph: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
