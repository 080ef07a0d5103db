"""Dependency graphs for the dependency view (networkx is imported only by the app)."""

from __future__ import annotations

import threading

from ..model.types import Plan

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


DONE_PLAN_STATES = ("complete", "complete_unverified")


def plan_waves(
    children: tuple[str, ...],
    waits_for: dict[str, tuple[str, ...]],
    plans: dict[str, Plan],
) -> tuple[list[str], list[list[str]], list[str]]:
    """Cross-plan parallel work (FORMAT §10, level 1): the child plans already done, then the
    rest in waves (each wave can run at once once the waves before it are done), then any
    left over because they wait on each other in a cycle. Dependencies on plans that are not
    in the workspace are left to the problems list."""
    known = [c for c in children if c in plans]
    done = [c for c in known if plans[c].state in DONE_PLAN_STATES]
    placed = set(done)
    remaining = [c for c in known if c not in placed]
    waves: list[list[str]] = []
    while remaining:
        wave = [
            c for c in remaining if all(d in placed or d not in plans for d in waits_for.get(c, ()))
        ]
        if not wave:
            break
        waves.append(wave)
        placed.update(wave)
        remaining = [c for c in remaining if c not in placed]
    return done, waves, remaining
