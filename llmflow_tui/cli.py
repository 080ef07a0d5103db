"""``llmflow``: open the app, or run a headless sub-command (the scriptable twin of the app).

Sub-commands import only what they need: ``status`` never imports Textual or networkx.
Exit codes: 0 ok, 1 problems of severity error found, 2 usage or input error.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # for LLMFLOW_TIMINGS: startup is measured from here

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

DEMO = Path(__file__).parent / "demo"
SUBCOMMANDS = ("status", "serve")

STATE_ICONS = {
    "approved": "✔",
    "needs_fix": "✘",
    "awaiting_review": "◎",
    "executing": "▶",
    "subplan_ready": "◇",
    "not_started": "·",
}
PLAN_ICONS = {
    "complete": "✔",
    "complete_unverified": "✔?",
    "needs_attention": "✘",
    "active": "▶",
    "not_started": "·",
}


class UsageError(Exception):
    pass


def _looks_like_workspace(path: Path) -> bool:
    if (path / "work-space").is_dir():
        return True
    try:
        for entry in os.scandir(path):
            if entry.is_file() and entry.name.startswith(("PLAN_", "GRAMMAPLAN_")):
                return True
    except OSError:
        return False
    return False


def default_workspace() -> Path:
    """No argument: the current folder if it holds a workspace, else the bundled demo."""
    cwd = Path.cwd()
    return cwd if _looks_like_workspace(cwd) else DEMO


def _workspace_arg(value: str | None) -> Path:
    if value is None:
        return default_workspace()
    path = Path(value).expanduser()
    if not path.is_dir():
        raise UsageError(f"{value}: not a folder")
    return path.resolve()


def _bar(done: int, total: int, width: int = 10) -> str:
    if total <= 0:
        return "░" * width
    full = round(width * done / total)
    return "█" * full + "░" * (width - full)


def cmd_status(args: argparse.Namespace) -> int:
    from .model import load

    root = _workspace_arg(args.workspace)
    ws = load(root, cache=not args.no_cache)
    if args.plan:
        plan = ws.plan(args.plan)
        if plan is None:
            import difflib

            every = [p.name for p in ws.plans]
            close = difflib.get_close_matches(args.plan.upper(), every, n=5, cutoff=0.5)
            if close:
                hint = "did you mean " + ", ".join(close) + "?"
            else:
                hint = "plans: " + (", ".join(every[:10]) or "none")
                hint += f", … {len(every) - 10} more" if len(every) > 10 else ""
            raise UsageError(f"no plan named {args.plan!r} ({hint})")
        plans = [plan]
        problems = list(ws.plan_problems(plan.name))
    else:
        plans = list(ws.plans)
        problems = list(ws.problems)
    if args.json:
        data = ws.to_json(args.plan)
        # Indented for a person at a terminal; compact for a program (json's C encoder
        # writes that several times faster).
        indent = 2 if sys.stdout.isatty() else None
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=indent) + "\n")
    else:
        _print_status(ws, plans, problems, detailed=bool(args.plan) or args.all)
    return 1 if any(p.severity == "error" for p in problems) else 0


def _print_status(ws, plans, problems, *, detailed: bool) -> None:
    out = sys.stdout.write
    from .model.types import plan_census

    out(f"Workspace {ws.root}  ({plan_census(plans)}, {ws.files} files)\n\n")
    name_w = max([len(p.name) for p in plans] + [4])
    group_w = max([len(p.group_label or "") for p in plans] + [5])
    out(
        f"   {'PLAN':<{name_w}}  {'GROUP':<{group_w}}  {'STATE':<19}  PROGRESS          "
        f"NEXT   READY\n"
    )
    for p in plans:
        done, total = p.progress
        icon = PLAN_ICONS.get(p.state, "?")
        badges = "".join(f" [{m}]" for m in p.markers)
        if p.orphan:
            badges += " [orphan]"
        if p.archived:
            badges += " [archived]"
        ready = ",".join(p.ready[:6]) + ("…" if len(p.ready) > 6 else "")
        out(
            f"{icon:<2} {p.name:<{name_w}}  {(p.group_label or ''):<{group_w}}  "
            f"{p.state:<19}  {_bar(done, total)} {done:>2}/{total:<3}  "
            f"{(p.next or '-'):<5}  {ready or '-'}{badges}\n"
        )
        if detailed:
            for a in p.achievements:
                flags = f" ({', '.join(a.flags)})" if a.flags else ""
                k, n = a.executions_done
                runs = f" {k}/{n}" if a.state == "executing" else ""
                if a.archived_work:
                    runs = f" (archived{': done' if a.archived_work == 'done' else ''})"
                out(
                    f"      {STATE_ICONS.get(a.state, '?')} {a.id:<5} {a.state}{runs}{flags}"
                    f"  {a.title}\n"
                )
                out(f"              why: {'; '.join(r.text for r in a.reasons)}\n")
    if not detailed or len(plans) > 1:
        _print_plans_of_plans(ws, out)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    out(f"\n{len(errors)} error(s), {len(warnings)} warning(s)\n")
    shown = errors + warnings
    limit = len(shown) if detailed else 25
    for prob in shown[:limit]:
        where = prob.path + (f":{prob.line}" if prob.line else "")
        out(f"  {prob.severity:<7} {where}: {prob.message}\n")
    if len(shown) > limit:
        out(f"  … {len(shown) - limit} more (--all or --json to see every problem)\n")


def _print_plans_of_plans(ws, out) -> None:
    """GRAMMAPLANs and NORTH_STARs: their child plans, which are done, which can run now
    (their plan dependencies are done) and which are not found."""
    if not ws.grammaplans:
        return
    out("\n   PLANS OF PLANS\n")
    from .model.types import plan_waves

    by_name = {p.name: p for p in ws.plans}
    for g in ws.grammaplans:
        waits = {c: g.waits_for(c) for c in g.children}
        done, waves, _stuck = plan_waves(g.children, waits, by_name)
        ready = waves[0] if waves else []
        missing = [c for c in g.children if c not in by_name]
        kind = g.kind.replace("_", " ")
        out(f"◆  {g.name} ({kind}): {len(g.children)} plan(s), {len(done)} done")
        if ready:
            out(f"; can run now: {', '.join(ready)}")
        if missing:
            out(f"; not found: {', '.join(missing)}")
        out("\n")


def cmd_serve(args: argparse.Namespace) -> int:
    from .app.serve import serve

    return serve(_workspace_arg(args.workspace), args.port)


def cmd_app(args: argparse.Namespace) -> int:
    root = _workspace_arg(args.workspace)
    from .model.workspace import prefetch

    prefetch(root)  # helper processes walk the tree while Textual imports
    from .app import run_app

    return run_app(root, poll=args.poll) or 0


def build_parser(command: str | None) -> argparse.ArgumentParser:
    if command == "status":
        p = argparse.ArgumentParser(
            prog="llmflow status", description="Show every plan and achievement with its state."
        )
        p.add_argument("workspace", nargs="?", help="workspace folder (default: . or the demo)")
        p.add_argument("--plan", help="only this plan (its achievements and problems)")
        p.add_argument("--json", action="store_true", help="the JSON contract of DESIGN.md")
        p.add_argument(
            "--all", action="store_true", help="achievements of every plan and every problem"
        )
        p.add_argument("--no-cache", action="store_true", help="ignore the parse cache")
        p.set_defaults(func=cmd_status)
        return p
    if command == "serve":
        p = argparse.ArgumentParser(
            prog="llmflow serve", description="Serve the app to a browser on 127.0.0.1."
        )
        p.add_argument("workspace", nargs="?")
        p.add_argument("--port", type=int, default=8000)
        p.set_defaults(func=cmd_serve)
        return p
    p = argparse.ArgumentParser(
        prog="llmflow",
        description="A terminal app for PLAN / SUBPLAN / EXECUTION_TASK workspaces. "
        f"Sub-commands: {', '.join(SUBCOMMANDS)} (llmflow COMMAND --help).",
    )
    p.add_argument("workspace", nargs="?", help="workspace folder (default: . or the demo)")
    p.add_argument(
        "--poll",
        action="store_true",
        help="watch files by polling (NFS homes); also LLMFLOW_POLL=1",
    )
    p.set_defaults(func=cmd_app)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    parser = build_parser(command)
    try:
        args = parser.parse_args(argv[1:] if command else argv)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else 2
    try:
        return args.func(args)
    except UsageError as exc:
        sys.stderr.write(f"llmflow: {exc}\n")
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
