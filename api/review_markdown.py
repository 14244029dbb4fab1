"""A design review as markdown: the one text form the CLI, the UI tab and the MCP tool show."""

from __future__ import annotations

from api.review import Review, ReviewDecision

STATUS_LABELS = {"crossed": "CROSSED", "near": "NEAR", "not_crossed": "not crossed",
                 "unknown": "unknown"}


def review_markdown(result: Review, unknown_limit: int = 6) -> str:
    """Summary, nearest studies, decisions by trigger status, estimates, then the sources."""
    out = ["## Summary", "", result.summary]
    if result.notice:
        out += ["", f"*{result.notice}*"]
    figures = result.requirements["quantities"]
    if figures:
        out += ["", "## Your numbers", ""]
        out += [f"- {q['shown']} {q['measure'].replace('rate:', '')}"
                f"{' (derived: ' + q['text'] + ')' if q['derived'] else ' (“' + q['text'] + '”)'}"
                for q in figures]
    out += ["", "## Nearest designs", ""]
    for s in result.nearest:
        why = []
        if s.shared_concepts:
            why.append("shared concepts: " + ", ".join(s.shared_concepts))
        if s.comparable_scale:
            why.append("comparable scale: " + "; ".join(s.comparable_scale))
        if s.scale:
            why.append(f"study scale: {s.scale}")
        out.append(f"- **{s.title}** (`{s.study}`) [{s.citation}]"
                   + (f": {'; '.join(why)}" if why else ""))
    out += ["", "## Decisions to check", ""]
    known = [d for d in result.decisions if d.status != "unknown"]
    unknown = [d for d in result.decisions if d.status == "unknown"]
    out += [_decision(d) for d in known] or ["No trigger of these designs measures a figure "
                                             "you gave."]
    if unknown:
        shown = unknown[:unknown_limit]
        out += ["", f"Triggers your numbers do not speak to ({len(unknown)}):", ""]
        out += [f"- {d.study_title}: {d.heading} [{d.citations.get('trigger', '?')}]"
                for d in shown]
        if len(unknown) > len(shown):
            out.append(f"- ... and {len(unknown) - len(shown)} more")
    if result.envelope:
        out += ["", "## Back of the envelope", ""]
        out += [f"- **{e.label}:** {e.working} = **{e.value}**" for e in result.envelope]
        if result.assumptions:
            out += ["", "Assumptions: " + "; ".join(result.assumptions) + "."]
    out += ["", "## Sources", ""]
    out += [f"- [{c.n}] {c.path}:{c.start_line}-{c.end_line} ({c.heading})"
            for c in result.citations]
    return "\n".join(out)


def _decision(d: ReviewDecision) -> str:
    refs = d.citations
    lines = [f"- **{STATUS_LABELS[d.status]}** {d.study_title}: **{d.heading}**"]
    if d.choice:
        lines.append(f"  - Chose: {d.choice} [{refs.get('choice', '?')}]")
    if d.trade_off:
        lines.append(f"  - Trade-off: {d.trade_off} [{refs.get('trade_off', '?')}]")
    for c in d.conditions:
        if c.status != "unknown":
            lines.append(f"  - Trigger {c.comparison} {c.threshold} ({c.measure.replace('rate:', '')}"
                         f"): yours {c.user_value}, {STATUS_LABELS[c.status]} "
                         f"[{refs.get('trigger', '?')}]")
    return "\n".join(lines)
