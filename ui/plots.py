"""Interactive graph pictures (plotly): a concept's neighbourhood and the map of all studies."""

from __future__ import annotations

import networkx as nx
import plotly.graph_objects as go

COLORS = {"concept": "#2563eb", "study": "#f97316", "focus": "#dc2626"}


def _figure(g: nx.Graph, labels: dict[str, str], kinds: dict[str, str], sizes: dict[str, float],
            title: str, focus: str | None = None) -> go.Figure:
    """Plot ``g``; the ``focus`` node sits in the middle, its edges drawn darker and its label
    boxed above every other mark so no neighbour hides it."""
    has_focus = focus is not None and focus in g
    pos = nx.spring_layout(g, seed=7, k=None if len(g) < 3 else 1.6 / len(g) ** 0.5,
                           pos={focus: (0.0, 0.0)} if has_focus else None,
                           fixed=[focus] if has_focus else None)
    fig = go.Figure()
    for near in (False, True):
        edge_x: list[float | None] = []
        edge_y: list[float | None] = []
        for u, v in g.edges():
            if (focus in (u, v)) == near:
                edge_x += [pos[u][0], pos[v][0], None]
                edge_y += [pos[u][1], pos[v][1], None]
        line = {"width": 1.6, "color": "#6b7280"} if near else {"width": 0.6, "color": "#d1d5db"}
        fig.add_trace(go.Scatter(x=edge_x, y=edge_y, mode="lines", hoverinfo="skip",
                                 line=line, showlegend=False))
    for kind in ("study", "concept", "focus"):
        nodes = [n for n in g.nodes if kinds.get(n) == kind]
        if not nodes:
            continue
        fig.add_trace(go.Scatter(
            x=[pos[n][0] for n in nodes], y=[pos[n][1] for n in nodes], mode="markers+text",
            text=["" if n == focus else labels[n] for n in nodes], textposition="top center",
            hovertext=[labels[n] for n in nodes], hoverinfo="text", cliponaxis=False,
            marker={"size": [sizes.get(n, 12) for n in nodes], "color": COLORS[kind],
                    "line": {"width": 1, "color": "white"}},
            name={"focus": "selected", "study": "studies", "concept": "concepts"}[kind]))
    if has_focus:
        fig.add_annotation(x=pos[focus][0], y=pos[focus][1], text=f"<b>{labels[focus]}</b>",
                           showarrow=False, yshift=22, bgcolor="rgba(255,255,255,0.92)",
                           bordercolor=COLORS["focus"], borderwidth=1, borderpad=3,
                           font={"size": 14, "color": COLORS["focus"]})
    xs = [p[0] for p in pos.values()] or [0.0]
    pad = max(max(xs) - min(xs), 0.5) * 0.2  # room for labels at the edges
    fig.update_layout(title=title, height=520, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      xaxis={"visible": False, "range": [min(xs) - pad, max(xs) + pad]},
                      yaxis={"visible": False},
                      legend={"orientation": "h"}, plot_bgcolor="white")
    return fig


def neighbourhood_figure(data: dict, focus: str) -> go.Figure:
    """Plot node-link JSON from ``KnowledgeGraph.neighbourhood`` around ``focus`` (a node id)."""
    g = nx.Graph()
    labels, kinds, sizes = {}, {}, {}
    for node in data["nodes"]:
        nid = node["id"]
        g.add_node(nid)
        labels[nid] = node.get("name") or node.get("title") or nid
        kinds[nid] = "focus" if nid == focus else node.get("kind", "concept")
        sizes[nid] = 26 if nid == focus else 14
    for edge in data["edges"]:
        g.add_edge(edge["source"], edge["target"])
    return _figure(g, labels, kinds, sizes, f"Around {labels.get(focus, focus)}", focus)


def study_map_figure(studies: list[dict], uses: dict[str, list[str]], focus: str | None = None,
                     max_concepts: int = 15) -> go.Figure:
    """Every study, joined to the concepts it shares with at least one other study.

    ``uses`` maps a concept name to the ids of the studies that cover it; the concepts used by
    the most studies are drawn, up to ``max_concepts``. ``focus`` (a study id) is highlighted.
    """
    g = nx.Graph()
    labels, kinds, sizes = {}, {}, {}
    for s in studies:
        g.add_node(s["id"])
        labels[s["id"]] = s["title"]
        kinds[s["id"]] = "focus" if s["id"] == focus else "study"
        sizes[s["id"]] = 28 if s["id"] == focus else 20
    shared = sorted(((c, ids) for c, ids in uses.items() if len(set(ids)) > 1),
                    key=lambda item: (-len(set(item[1])), item[0]))[:max_concepts]
    for name, ids in shared:
        node = f"concept:{name}"
        labels[node], kinds[node], sizes[node] = name, "concept", min(8 + len(set(ids)), 18)
        for study in ids:
            if study in labels:
                g.add_edge(study, node)
    title = "Studies and the concepts they share"
    if focus in labels:
        title += f" ({labels[focus]} highlighted)"
    return _figure(g, labels, kinds, sizes, title, focus if focus in labels else None)
