"""`make bench-locust`: Locust, side by side in one run: bare Rasa REST with the project's model,
the full stack, and the full stack with 2 Rasa replicas; a table and a plot under var/bench/.

Each target gets the same closed-loop load (scripts/locust/locustfile.py: N customers holding
the realistic conversation, no think time unless --think) for --seconds. The one-replica stack
and the two-replica stack keep their trackers in PostgreSQL (fresh databases, dropped after),
the second with Redis locks and HAProxy, so that only the replicas differ. Writes
var/bench/locust-<time>.md (the table), .svg (latency percentiles and throughput over time)
and the raw CSV of each run.

    .venv/bin/python scripts/bench_locust.py [--users 20] [--seconds 60] [--think 0]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_replicas import stack_on_postgres  # noqa: E402

LOCUST = ROOT / ".venv" / "bin" / "locust"
LOCUSTFILE = ROOT / "scripts" / "locust" / "locustfile.py"
OUT = ROOT / "var" / "bench"
COLOURS = ("#1b6ca8", "#c0392b", "#27ae60", "#8e44ad")


@dataclass
class Run:
    label: str
    points: list[dict[str, float]] = field(default_factory=list)  # one per second
    total: dict[str, str] = field(default_factory=dict)


def locust(
    run: Run, host: str, user_class: str, args: argparse.Namespace, token: str, prefix: Path
) -> None:
    env = {
        **os.environ,
        "RAPPORT_REST_TOKEN": token,
        "RAPPORT_LOCUST_THINK_S": str(args.think),
    }
    command = [
        str(LOCUST), "-f", str(LOCUSTFILE), "--headless", "--host", host,
        "--users", str(args.users), "--spawn-rate", str(args.users),
        "--run-time", f"{args.seconds}s", "--csv", str(prefix), "--csv-full-history",
        "--only-summary", "--loglevel", "WARNING", user_class,
    ]  # fmt: skip
    print(f"  {run.label}: {args.users} customers for {args.seconds} s ...", file=sys.stderr)
    with Path(f"{prefix}.log").open("wb") as log:  # Locust's own summary, kept beside its CSV
        subprocess.run(command, env=env, check=False, cwd=ROOT, stdout=log, stderr=log)
    with Path(f"{prefix}_stats_history.csv").open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["Name"] == "Aggregated"]
    start = float(rows[0]["Timestamp"]) if rows else 0.0
    for r in rows:
        if r["50%"] in ("N/A", "0", ""):
            continue
        run.points.append(
            {
                "t": float(r["Timestamp"]) - start,
                "p50": float(r["50%"]),
                "p95": float(r["95%"]),
                "rps": float(r["Requests/s"]),
            }
        )
    with Path(f"{prefix}_stats.csv").open(newline="") as f:
        run.total = next((r for r in csv.DictReader(f) if r["Name"] == "Aggregated"), {})


def svg(runs: list[Run], title: str) -> str:
    """Two panels: p50 (dashed) and p95 latency over time; throughput over time."""
    width, height, pad = 900, 300, 50

    def panel(y0: int, key_sets: list[tuple[str, str]], unit: str) -> str:
        values = [p[k] for r in runs for p in r.points for k, _ in key_sets] or [1.0]
        t_max = max((p["t"] for r in runs for p in r.points), default=1.0) or 1.0
        v_max = max(values) * 1.1 or 1.0

        def x(t: float) -> float:
            return pad + (width - 2 * pad) * t / t_max

        def y(v: float) -> float:
            return y0 + height - pad - (height - 2 * pad) * v / v_max

        out = [
            f'<line x1="{pad}" y1="{y(0)}" x2="{width - pad}" y2="{y(0)}" stroke="#999"/>',
            f'<line x1="{pad}" y1="{y(0)}" x2="{pad}" y2="{y(v_max)}" stroke="#999"/>',
            f'<text x="{pad}" y="{y(v_max) - 8}" font-size="12">{unit} (max {v_max:.0f})</text>',
            f'<text x="{width - pad}" y="{y(0) + 16}" font-size="12" text-anchor="end">'
            f"{t_max:.0f} s</text>",
        ]
        for colour, run in zip(COLOURS, runs, strict=False):
            for key, dash in key_sets:
                line = " ".join(f"{x(p['t']):.1f},{y(p[key]):.1f}" for p in run.points)
                out.append(
                    f'<polyline points="{line}" fill="none" stroke="{colour}" '
                    f'stroke-width="1.5" stroke-dasharray="{dash}"/>'
                )
        return "\n".join(out)

    legend = "".join(
        f'<text x="{pad + 260 * i}" y="20" font-size="13" fill="{c}">{r.label}</text>'
        for i, (c, r) in enumerate(zip(COLOURS, runs, strict=False))
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{2 * height + 40}" '
        'font-family="sans-serif">\n'
        f'<text x="{pad}" y="38" font-size="12">{title}</text>\n{legend}\n'
        + panel(40, [("p50", "4 3"), ("p95", "")], "latency ms: p50 dashed, p95 solid")
        + "\n"
        + panel(40 + height, [("rps", "")], "messages/s")
        + "\n</svg>\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--think", type=float, default=0.0, help="seconds between two messages")
    args = parser.parse_args()
    if not LOCUST.exists():
        raise SystemExit(f"{LOCUST} is missing: run `make setup` (Locust is a dev dependency)")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    OUT.mkdir(parents=True, exist_ok=True)
    runs: list[Run] = []
    for replicas in (1, 2):
        with stack_on_postgres(OUT / f"locust-stack-{replicas}", replicas) as stack:
            targets = [("full stack, 1 Rasa", stack.gateway_url, "StackCustomer")]
            if replicas == 1:
                targets.insert(0, ("bare Rasa REST", stack.rasa_url, "BareRasaCustomer"))
            else:
                targets = [("full stack, 2 Rasa replicas", stack.gateway_url, "StackCustomer")]
            for label, host, user_class in targets:
                run = Run(label)
                prefix = OUT / f"locust-{stamp}-{len(runs) + 1}"
                locust(run, host, user_class, args, stack.rest_token, prefix)
                runs.append(run)
    lines = [
        f"# Locust, {args.users} customers, {args.seconds} s each, think {args.think} s ({stamp})",
        "",
        "| target | messages | failures | p50 ms | p95 ms | p99 ms | messages/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        t = run.total
        lines.append(
            f"| {run.label} | {t.get('Request Count', '?')} | {t.get('Failure Count', '?')} | "
            f"{t.get('50%', '?')} | {t.get('95%', '?')} | {t.get('99%', '?')} | "
            f"{float(t.get('Requests/s', 0) or 0):.1f} |"
        )
    table = "\n".join(lines) + "\n"
    (OUT / f"locust-{stamp}.md").write_text(table)
    (OUT / f"locust-{stamp}.svg").write_text(svg(runs, lines[0].lstrip("# ")))
    print(table)
    print(f"written to var/bench/locust-{stamp}.md and .svg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
