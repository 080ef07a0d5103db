"""Dependency graphs for the dependency view (networkx is imported only by the app)."""

from __future__ import annotations

import threading

# Plans of plans (level 1 of parallel work) are worked out in the model: status prints them too.
from ..model.types import DONE_PLAN_STATES, Plan, plan_waves  # noqa: F401

_networkx = threading.Event()


def import_networkx() -> None:
    """Import networkx (~0.3 s). The app does it in a worker once the first screen is up:
    a first import on the UI thread, or waiting there for the worker's, held up a key."""
    import networkx  # noqa: F401

    _networkx.set()


def critical_path(plan: Plan, *, wait: bool = True) -> list[str] | None:
    """The longest chain of unapproved achievements, weighted by effort (1h when unknown).
    None with ``wait=False`` while networkx is not imported yet."""
    if not _networkx.is_set():
        if not wait:
            return None
        import_networkx()
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
    return path if len(pending) > 1 else []  # one achievement left: nothing to mark


def blocked_chain(plan: Plan, achievement_id: str) -> list[str]:
    """The longest chain of unapproved dependencies behind an achievement, ending at one
    that is not blocked itself (what has to happen first): ["3.1", "2.1", "1.1"]."""
    by_id = {a.id: a for a in plan.achievements}
    memo: dict[str, list[str]] = {}

    def chain(aid: str, seen: frozenset[str]) -> list[str]:
        if aid in memo:
            return memo[aid]
        a = by_id.get(aid)
        waits = [
            d for d in (a.dependencies if a else ()) if d in by_id and by_id[d].state != "approved"
        ]
        best: list[str] = []
        for d in waits:
            if d in seen:
                continue  # a cycle: stop here
            c = chain(d, seen | {d})
            if len(c) > len(best):
                best = c
        memo[aid] = [aid, *best]
        return memo[aid]

    return chain(achievement_id, frozenset({achievement_id}))
