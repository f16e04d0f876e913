"""`python -m rasa_runtime run ...`: Rasa's own command line, with Rapport's speed-ups."""

from __future__ import annotations

import logging
import sys

from rasa_runtime.speedups import apply


def main() -> None:
    # RAPPORT_RASA_SPEEDUPS=0 runs Rasa exactly as shipped (to compare, or to rule them out);
    # a list of names applies only those (rasa_runtime.speedups.chosen).
    applied = apply()
    from rasa.__main__ import main as rasa_main

    logging.getLogger(__name__).warning(
        "Rasa speed-ups: %s", ", ".join(applied) if applied else "none (RAPPORT_RASA_SPEEDUPS=0)"
    )
    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
