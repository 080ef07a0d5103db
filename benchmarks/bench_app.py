# ruff: noqa: E402
"""App benchmarks (headless, Textual's Pilot): time to first screen (plan names shown), to
complete state, from a file write to the updated tree label (median of --writes), and
"expand all plans": the time until every plan is expanded and the longest stall of the UI
thread meanwhile (the largest gap between ticks of a 10 ms timer).

    python benchmarks/bench_app.py [--scale 1] [--writes 20] [--dir benchmarks/out]
                                   [--only start,writes,expand]
"""

from __future__ import annotations

import time

PROCESS_START = time.perf_counter()  # before the imports below: a user waits for those too

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402


async def start(root: Path, cache: bool):
    """Seconds from creating the app to plan names painted, and to complete states painted
    (the app stamps both after the screen refresh that shows them)."""
    from llmflow_tui.app.main import LlmflowApp

    app = LlmflowApp(root, watch=False, cache=cache)
    async with app.run_test(size=(120, 40)) as pilot:
        # Poll coarsely: a tight loop here would steal the GIL from the loader.
        while "complete" not in app.timings or (cache and "cache_saved" not in app.timings):
            await pilot.pause(0.1)
    t0 = app.timings["created"]
    complete = app.timings["complete"] - t0
    first = app.timings.get("names", app.timings["complete"]) - t0
    return first, complete, app


async def write_latency(root: Path, writes: int) -> list[float]:
    from llmflow_tui.app.main import LlmflowApp
    from llmflow_tui.app.panes import PlanTree

    app = LlmflowApp(root, watch=True, cache=True)
    samples = []
    async with app.run_test(size=(120, 40)) as pilot:
        while app.ws is None:
            await pilot.pause(0.01)
        await pilot.pause(1.0)  # let the watcher start
        plan = next(p for p in app.ws.plans if p.achievements and p.path)
        fb = root / Path(plan.path).parent / "execution" / "feedbacks"
        fb.mkdir(parents=True, exist_ok=True)
        tree = app.query_one(PlanTree)
        node = tree._plan_nodes[plan.name]
        for i in range(writes):
            target = fb / f"APPROVED_{plan.achievements[-1].id.replace('.', '')}.md"
            before = str(node.label)
            t0 = time.perf_counter()
            if target.exists():
                target.unlink()
            else:
                target.write_text(f"approved {i}\n")
            while str(node.label) == before and time.perf_counter() - t0 < 5:
                await pilot.pause(0.005)
            samples.append(time.perf_counter() - t0)
            await pilot.pause(0.2)
        if (fb / f"APPROVED_{plan.achievements[-1].id.replace('.', '')}.md").exists():
            (fb / f"APPROVED_{plan.achievements[-1].id.replace('.', '')}.md").unlink()
    return samples


async def expand_all(root: Path) -> dict:
    """Seconds from "view: expand all plans" to every plan expanded and filled, and the
    longest gap between ticks of a 10 ms timer meanwhile (how long a key would wait)."""
    from llmflow_tui.app.main import LlmflowApp
    from llmflow_tui.app.panes import PlanTree

    app = LlmflowApp(root, watch=False, cache=True)
    async with app.run_test(size=(120, 40)) as pilot:
        while "complete" not in app.timings:
            await pilot.pause(0.1)
        await pilot.pause(0.5)
        tree = app.query_one(PlanTree)
        ticks: list[float] = []

        def done() -> bool:
            return all(
                node.is_expanded and tree._filled.get(name) is tree._plans[name]
                for name, node in tree._plan_nodes.items()
                if tree._plans[name].tally.total
            )

        timer = app.set_interval(0.01, lambda: ticks.append(time.perf_counter()))
        await pilot.pause(0.1)
        ticks.clear()
        t0 = time.perf_counter()
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        commands["view: expand all plans"].callback()
        while not done():
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - t0
        await pilot.pause(0.05)
        timer.stop()
        gaps = [b - a for a, b in zip([t0, *ticks], ticks, strict=False)]
        nodes = sum(len(n.children) for n in tree._plan_nodes.values())
    return {"seconds": elapsed, "stall": max(gaps, default=elapsed), "nodes": nodes}


def one_start(root: Path, cache: bool) -> dict:
    first, complete, app = asyncio.run(start(root, cache))
    since_launch = app.timings["created"] - PROCESS_START
    return {
        "first": first,
        "complete": complete,
        "first_from_launch": first + since_launch,
        "complete_from_launch": complete + since_launch,
    }


def fresh_process_start(root: Path, cache: bool, what: str | None = None) -> dict:
    """One start in a new interpreter, as a user gets it."""
    what = what or ("warm" if cache else "cold")
    out = subprocess.run(
        [sys.executable, __file__, "--one", what, "--root", str(root)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--writes", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=HERE / "out")
    ap.add_argument("--only", default="start,writes,expand", help="comma-separated figures")
    ap.add_argument("--one", choices=["cold", "warm", "expand"], help=argparse.SUPPRESS)
    ap.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        from llmflow_tui.model.workspace import prefetch

        prefetch(args.root)  # as `llmflow` does: the tree is walked while Textual imports
        if args.one == "expand":
            print(json.dumps(asyncio.run(expand_all(args.root))))
        else:
            print(json.dumps(one_start(args.root, args.one == "warm")))
        return
    only = set(args.only.split(","))
    import compileall

    compileall.compile_dir(str(HERE.parent / "llmflow_tui"), quiet=1)  # as an install does
    root = generate(args.dir / f"ws{args.scale}x", args.scale)
    os.environ["LLMFLOW_CACHE_DIR"] = tempfile.mkdtemp(prefix="llmflow-bench-cache-")
    starts = "start" in only
    cold = [fresh_process_start(root, cache=False) for _ in range(args.runs if starts else 0)]
    fresh_process_start(root, cache=True)  # fill the cache
    warm = [fresh_process_start(root, cache=True) for _ in range(args.runs if starts else 0)]

    def med(xs, key):
        return statistics.median(x[key] for x in xs) * 1000

    for label, xs in (("cold", cold), ("warm", warm)) if starts else ():
        print(
            f"{args.scale}× {label}: first screen {med(xs, 'first'):.0f} ms, complete "
            f"{med(xs, 'complete'):.0f} ms after the app is created; "
            f"{med(xs, 'first_from_launch'):.0f} / {med(xs, 'complete_from_launch'):.0f} ms "
            "after the interpreter started",
            flush=True,
        )
    if "expand" in only:
        runs = [fresh_process_start(root, True, "expand") for _ in range(args.runs)]
        stalls = ", ".join(f"{r['stall'] * 1000:.0f}" for r in runs)
        print(
            f"{args.scale}× expand all ({runs[0]['nodes']} achievement nodes): done in "
            f"{med(runs, 'seconds'):.0f} ms, longest UI stall {med(runs, 'stall'):.0f} ms "
            f"(median of {len(runs)}; stalls {stalls} ms)",
            flush=True,
        )
    if args.writes and "writes" in only:
        lat = asyncio.run(write_latency(root, args.writes))
        print(
            f"{args.scale}×: file write → updated tree label: median {statistics.median(lat) * 1000:.0f} ms "
            f"(min {min(lat) * 1000:.0f}, max {max(lat) * 1000:.0f}, n={len(lat)})"
        )


if __name__ == "__main__":
    main()
