"""`make validate`: `rasa data validate`, failing on every warning but one kind.

Rasa 3.6 warns that a response "is not used in any story or rule" when only a custom action
sends it, and cannot be told otherwise. Such a warning is accepted only if the response is
really sent by our Python code (`response="utter_x"` in bot/actions or channels); any other
warning fails, and so does a response the code sends that the domain lacks.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
UNUSED = re.compile(r"The utterance '(utter_\w+)' is not used in any story or rule")
SENT_BY_CODE = re.compile(r"""["'](utter_\w+)["']""")
# Names in the code that look like responses but are not: the key under which Rasa's bot
# events name the response they came from (bot/actions/consent_question.py reads it).
NOT_RESPONSES = {"utter_action"}


def responses_sent_by_code() -> set[str]:
    found: set[str] = set()
    for folder in ("bot/actions", "channels"):
        for path in (ROOT / folder).rglob("*.py"):
            found |= set(SENT_BY_CODE.findall(path.read_text(encoding="utf-8")))
    return found - NOT_RESPONSES


def main() -> int:
    rasa = ROOT / ".venv-rasa" / "bin" / "rasa"
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    run = subprocess.run(
        [
            str(rasa),
            "data",
            "validate",
            "--domain",
            "bot/domain.yml",
            "--data",
            "bot/data",
            "--config",
            "config.yml",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    output = run.stdout + run.stderr
    print(output[-5000:])
    problems: list[str] = []
    if run.returncode != 0:
        problems.append(f"rasa data validate exited with {run.returncode}")
    sent = responses_sent_by_code()
    for line in output.splitlines():
        if "UserWarning" in line or "warning" in line.lower():
            match = UNUSED.search(line)
            if match and match.group(1) in sent:
                continue
            if match or "WARNING" in line or "UserWarning" in line:
                problems.append(line.strip())
    domain = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))
    missing = sorted(sent - set(domain.get("responses") or {}))
    problems += [f"the code sends {r}, which bot/domain.yml does not define" for r in missing]
    if problems:
        print("\nvalidation failed:", *problems, sep="\n  - ")
        return 1
    print(f"\nvalidation clean ({len(sent)} responses sent by custom code are defined)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
