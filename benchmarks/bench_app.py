"""App benchmarks (headless, Textual's Pilot): time to first screen (plan names shown), to
complete state, and from a file write to the updated tree label (median of --writes).

    python benchmarks/bench_app.py [--scale 1] [--writes 20] [--dir benchmarks/out]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

from llmflow_tui.app.main import LlmflowApp  # noqa: E402
from llmflow_tui.app.panes import PlanTree  # noqa: E402


async def start(root: Path, cache: bool) -> tuple[float, float, LlmflowApp]:
    app = LlmflowApp(root, watch=False, cache=cache)
    t0 = time.perf_counter()
    first = complete = None
    async with app.run_test(size=(120, 40)) as pilot:
        tree = app.query_one(PlanTree)
        while complete is None:
            await pilot.pause(0.005)
            if first is None and tree.root.children:
                first = time.perf_counter() - t0
            if app.ws is not None:
                complete = time.perf_counter() - t0
        first = first if first is not None else complete
    return first, complete, app


async def write_latency(root: Path, writes: int) -> list[float]:
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--writes", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=HERE / "out")
    args = ap.parse_args()
    root = generate(args.dir / f"ws{args.scale}x", args.scale)
    os.environ["LLMFLOW_CACHE_DIR"] = tempfile.mkdtemp(prefix="llmflow-bench-cache-")
    cold = [asyncio.run(start(root, cache=False))[:2] for _ in range(args.runs)]
    asyncio.run(start(root, cache=True))  # fill the cache
    warm = [asyncio.run(start(root, cache=True))[:2] for _ in range(args.runs)]

    def med(xs, i):
        return statistics.median(x[i] for x in xs) * 1000

    print(
        f"{args.scale}×: cold first screen {med(cold, 0):.0f} ms, complete {med(cold, 1):.0f} ms; "
        f"warm first screen {med(warm, 0):.0f} ms, complete {med(warm, 1):.0f} ms",
        flush=True,
    )
    if args.writes:
        lat = asyncio.run(write_latency(root, args.writes))
        print(
            f"{args.scale}×: file write → updated tree label: median {statistics.median(lat) * 1000:.0f} ms "
            f"(min {min(lat) * 1000:.0f}, max {max(lat) * 1000:.0f}, n={len(lat)})"
        )


if __name__ == "__main__":
    main()
