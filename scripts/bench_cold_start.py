"""`make bench-cold-start`: how long the first customer after a restart waits.

Starts a fresh stack (new processes, as `make run` does: nothing loaded yet), polls the
gateway's /health from the moment the processes start, and as soon as it says ready (what the
chat page waits for) sends a new customer's first messages through the REST endpoint,
the first offer request among them. Prints and writes var/bench/cold_start.json:
start-up time to ready, the action server's own loading time, and each message's latency.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapport.stack import Stack  # noqa: E402

MESSAGES = ["any offers for me?", "I love Comté", "something else?"]
TARGET_S = 1.0


def post(url: str, body: dict[str, Any], headers: dict[str, str], timeout: float = 60.0) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={**headers, "Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def main() -> int:
    workdir = ROOT / "var" / "bench" / "cold-start"
    shutil.rmtree(workdir, ignore_errors=True)
    started = time.monotonic()
    # Stack.start returns once the gateway's /health says ready (Rasa has its model and the
    # action server has loaded the sentence model, the catalogue and the fact reader).
    with Stack(workdir=workdir) as stack:
        ready_after = time.monotonic() - started
        health = get(f"{stack.gateway_url}/health")
        actions = get(f"{stack.action_url}/health")
        latencies: list[dict[str, Any]] = []
        for text in MESSAGES:
            t0 = time.monotonic()
            replies = post(
                stack.rest_url,
                {"sender": "first-customer", "message": text},
                stack.rest_headers(),
            )
            latencies.append(
                {
                    "message": text,
                    "seconds": round(time.monotonic() - t0, 3),
                    "replies": len(replies),
                }
            )
        log = stack.log("actions").read_text(errors="replace")
    loaded = [line for line in log.splitlines() if "action server ready" in line]
    report = {
        "ready_after_s": round(ready_after, 1),
        "health": health,
        "action_server_health": actions,
        "action_server_log": loaded[-1] if loaded else None,
        "first_messages": latencies,
        "first_offer_request_s": latencies[0]["seconds"],
        "target_s": TARGET_S,
    }
    out = ROOT / "var" / "bench" / "cold_start.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"ready {report['ready_after_s']} s after start ({report['action_server_log']})")
    for m in latencies:
        print(f"  {m['message']!r}: {m['seconds']:.3f} s ({m['replies']} replies)")
    verdict = "within" if latencies[0]["seconds"] <= TARGET_S else "OVER"
    print(
        f"first offer request: {latencies[0]['seconds']:.3f} s, {verdict} the {TARGET_S} s target"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
