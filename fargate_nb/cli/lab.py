"""`fargate-nb lab ...` and `fargate-nb demo`: the workshop sandbox from the command line."""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import threading
from pathlib import Path

from fargate_nb.cli import EXIT_FAIL, EXIT_OK, UsageError

DEMO_DIR = Path("reports") / "demo"


def register(sub: argparse._SubParsersAction) -> None:
    lab = sub.add_parser("lab", help="workshop scenarios on a local sandbox (no AWS account needed)",
                         description="Break and fix Fargate set-ups on a local AWS (a moto server on 127.0.0.1).")
    lab_sub = lab.add_subparsers(dest="lab_command", metavar="LAB_COMMAND", required=True)

    p = lab_sub.add_parser("list", help="list the scenarios")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_list)

    p = lab_sub.add_parser("run", help="sandbox up, provision, diagnose, print, tear down")
    p.add_argument("scenario")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    p.set_defaults(func=cmd_run)

    p = lab_sub.add_parser("up", help="keep a provisioned sandbox running in the foreground (Ctrl-C stops it)")
    p.add_argument("scenario")
    p.add_argument("--port", type=int, help="port on 127.0.0.1 (default: a free one)")
    p.set_defaults(func=cmd_up)

    for name, helptext, func in (("check", "re-diagnose a running sandbox after your fix", cmd_check),
                                 ("fix", "apply the scenario's reference fix to a running sandbox", cmd_fix)):
        p = lab_sub.add_parser(name, help=helptext)
        p.add_argument("scenario", nargs="?", help="the scenario (default: the one the sandbox holds)")
        p.add_argument("--endpoint-url", required=True, help="the sandbox, as printed by `fargate-nb lab up`")
        p.add_argument("--format", choices=("text", "json"), default="text")
        p.set_defaults(func=func)

    demo = sub.add_parser("demo", help="the main job on the bundled sandbox: diagnose a broken task, write a report")
    demo.add_argument("--scenario", help="scenario to run (default: the representative broken one)")
    demo.add_argument("--out", default=str(DEMO_DIR), help=f"where to write (default: {DEMO_DIR})")
    demo.set_defaults(func=cmd_demo)


def _scenario(scenario_id: str):
    from fargate_nb.lab.scenarios import get_scenario

    try:
        return get_scenario(scenario_id)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from exc


def cmd_list(args: argparse.Namespace) -> int:
    from fargate_nb.lab.scenarios import SCENARIOS

    if args.format == "json":
        rows = [{"id": s.id, "title": s.title, "expected": [{"id": i, "target": t} for i, t in s.expected],
                 "story": s.story, "teaches": s.teaches, "hint": s.hint} for s in SCENARIOS]
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    width = max(len(s.id) for s in SCENARIOS)
    for s in SCENARIOS:
        expected = ", ".join(f"{i}[{t}]" if t else i for i, t in s.expected) or "healthy"
        print(f"{s.id:<{width}}  {s.title}  ({expected})")
    return EXIT_OK


def _open(scenario_id: str):
    from fargate_nb.investigation import ScenarioError, open_scenario

    try:
        return open_scenario(scenario_id, activate=False)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from exc


def cmd_run(args: argparse.Namespace) -> int:
    from fargate_nb.cli.diagnose import render

    scenario = _scenario(args.scenario)
    found = _open(scenario.id)
    try:
        if args.format == "text":
            print(f"Scenario {scenario.id}: {scenario.title}\n{scenario.story}\n")
        sys.stdout.write(render(found.diagnosis, args.format, snapshot=found.snapshot))
    finally:
        found.close()
    return found.diagnosis.exit_code


def cmd_up(args: argparse.Namespace) -> int:
    from fargate_nb.lab.sandbox import Sandbox
    from fargate_nb.lab.state import bring_up

    scenario = _scenario(args.scenario)
    if args.port is not None and not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is out of range (1-65535)")
    stop = threading.Event()
    serving = threading.Event()

    def on_sigterm(*_: object) -> None:
        stop.set()
        if not serving.is_set():  # still starting or provisioning: stop now, not after
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        try:
            started = Sandbox(port=args.port).start()
        except (OSError, ValueError) as exc:  # the port is taken (or out of range)
            raise UsageError(f"cannot start the sandbox: {getattr(exc, 'strerror', None) or exc}") from exc
        with started as sandbox:
            env = bring_up(scenario.id, sandbox)
            print(f"Sandbox for scenario {scenario.id} ({scenario.title}) is up.\n")
            print("# paste into another shell (or set in JupyterLab) to use it:")
            for key, value in sandbox.env.items():
                print(f"export {key}={value}")
            print(f"\ncluster: {env.cluster}\ntask:    {env.task_arn}")
            if env.service_name:
                print(f"service: {env.service_name}")
            print(f"\nstory: {scenario.story}\nhint:  {scenario.hint}\n")
            print(f"fargate-nb diagnose --cluster {env.cluster} --task {env.task_arn}")
            print(f"fargate-nb lab check --endpoint-url {sandbox.endpoint_url}")
            print("\nPress Ctrl-C to stop the sandbox.", flush=True)
            serving.set()
            try:
                while not stop.wait(0.5):
                    pass
            except KeyboardInterrupt:
                pass
            print("\nstopping the sandbox", file=sys.stderr)
    finally:
        signal.signal(signal.SIGTERM, previous)
    return EXIT_OK


def _attached(args: argparse.Namespace):
    from fargate_nb.investigation import ScenarioError, attach_lab

    try:
        return attach_lab(args.endpoint_url, args.scenario)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from exc


def cmd_check(args: argparse.Namespace) -> int:
    lab = _attached(args)
    result = lab.check_fix()
    if args.format == "json":
        print(json.dumps({"scenario": lab.scenario.id, **result.to_dict()}, indent=2))
    elif result.fixed:
        print(f"✓ Fixed: scenario {lab.scenario.id} now diagnoses clean.")
    else:
        print(f"✗ Not fixed yet: {result.verdict}")
        doubtful = set(result.in_doubt)
        for f in result.diagnosis.findings if result.diagnosis else []:
            if f.status == "fail":
                print(f"  still failing: {f.label} — {f.text}")
            elif f.label in doubtful:
                print(f"  not confirmed: {f.label} ({f.status}) — {f.text}")
    return EXIT_OK if result.fixed else EXIT_FAIL


def cmd_fix(args: argparse.Namespace) -> int:
    lab = _attached(args)
    lab.apply_reference_fix()
    print(f"applied the reference fix of {lab.scenario.id}; "
          f"run `fargate-nb lab check --endpoint-url {args.endpoint_url}`")
    return EXIT_OK


def _say(message: str) -> None:
    print(f"fargate-nb demo: {message}", file=sys.stderr, flush=True)


def _open_command(path: Path) -> str:
    opener = {"darwin": "open", "win32": "start"}.get(sys.platform, "xdg-open")
    return f"{opener} {shlex.quote(str(path))}"


def cmd_demo(args: argparse.Namespace) -> int:
    from fargate_nb.investigation import ScenarioError, write_demo
    from fargate_nb.lab.scenarios import DEFAULT_SCENARIO
    from fargate_nb.report import ReportError
    from fargate_nb.views.text import render_text

    scenario = _scenario(args.scenario or DEFAULT_SCENARIO)
    print(f"Demo: scenario {scenario.id} — {scenario.title}\n{scenario.story}\n", flush=True)
    try:
        demo = write_demo(scenario.id, args.out, progress=_say)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from exc
    except (ReportError, OSError) as exc:
        print(f"fargate-nb demo: the report could not be written in {args.out}: {exc}", file=sys.stderr)
        return EXIT_FAIL
    sys.stdout.write(render_text(demo.diagnosis, colour=sys.stdout.isatty()))
    paths = demo.paths
    print(f"\nWrote (each run replaces these files in {Path(args.out)}):")
    for label, path in (("evidence (snapshot)", paths.snapshot), ("diagnosis (JSON)", paths.json),
                        ("report (HTML)", paths.html), ("postmortem draft (Markdown)", paths.md),
                        ("executed notebook", paths.ipynb)):
        print(f"  {label:<28} {path}")
    print(f"\nOpen the report in a browser: {_open_command(paths.html)}\n  ({paths.html.resolve().as_uri()})")
    return EXIT_OK
