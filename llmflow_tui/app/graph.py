"""Dependency graphs for the dependency view (networkx is imported only by the app)."""

from __future__ import annotations

from ..model.types import Plan


def critical_path(plan: Plan) -> list[str]:
    """The longest chain of unapproved achievements, weighted by effort (1h when unknown)."""
    import networkx as nx

    pending = {a.id: a for a in plan.achievements if a.state != "approved"}
    g = nx.DiGraph()
    for aid, a in pending.items():
        hours = a.effort.hours if a.effort and a.effort.hours else 1.0
        g.add_node(aid, w=hours)
        for dep in a.dependencies:
            if dep in pending:
                g.add_edge(dep, aid)
    if not g or not nx.is_directed_acyclic_graph(g):
        return []
    best: dict[str, tuple[float, list[str]]] = {}
    for node in nx.topological_sort(g):
        w = g.nodes[node]["w"]
        preds = [best[p] for p in g.predecessors(node)]
        base = max(preds, key=lambda t: t[0]) if preds else (0.0, [])
        best[node] = (base[0] + w, [*base[1], node])
    length, path = max(best.values(), key=lambda t: (t[0], -len(t[1])))
    return path if len(path) > 1 else []
