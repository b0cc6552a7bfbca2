"""The safety rule's threshold (bot/core/decide.py, SAFETY_MASS), chosen without nlu/tests/.

3-fold cross-validation of the training data: each fold is classified by the Rasa
component's models fitted on the other two (as config.yml: logistic regression, and
complement naive Bayes on the same features), then routed by the bot's own `route` at
each threshold. Writes docs/nlu/safety_threshold.json: per threshold, domain accuracy,
anti-trafficking recall, victims missed, other questions answered as anti-trafficking.

`python -m bench.safety_threshold` (about 10 minutes on 2 cores); the fitting runs in
.venv-rasa, where sklearn lives (`--folds FILE`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot.nlu_data import read_folder

PROJECT_ROOT = Path(__file__).resolve().parents[1]  # bot.settings does not import in .venv-rasa

FOLDS = 3
THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
CONFIG = PROJECT_ROOT / "config.yml"


def _fold(job: tuple[list[str], list[str], Any, Any]) -> tuple[Any, Any, Any]:
    """One fold's held-out rows: the served (averaged) probabilities and the regression's."""
    from bot.rasa_components.tfidf_classifier import TfidfIntentClassifier

    texts, intents, train, held = job
    component = yaml.safe_load(CONFIG.read_text())["pipeline"][-1]
    config = TfidfIntentClassifier.get_default_config() | {k: v for k, v in component.items() if k != "name"}
    classifier = TfidfIntentClassifier(config, None, None)  # type: ignore[arg-type]
    classifier.fit([texts[i] for i in train], [intents[i] for i in train])
    mixed, regression = classifier.probabilities([texts[i] for i in held])
    return held, mixed, regression


def fit_folds(out: Path) -> None:
    """In .venv-rasa: out-of-fold probabilities of every training example, to `out` (npz)."""
    from concurrent.futures import ProcessPoolExecutor

    from sklearn.model_selection import StratifiedKFold

    examples = read_folder(PROJECT_ROOT / "nlu")
    texts, intents = [e.text for e in examples], [e.intent for e in examples]
    splits = StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(texts, intents)
    with ProcessPoolExecutor(2) as pool:
        parts = list(pool.map(_fold, [(texts, intents, train, held) for train, held in splits]))
    order = np.concatenate([held for held, _, _ in parts])
    np.savez(
        out,
        gold=np.array([intents[i] for i in order]),
        mixed=np.vstack([m for _, m, _ in parts]),
        regression=np.vstack([r for _, _, r in parts]),
        classes=np.array(sorted(set(intents))),  # sklearn's class order
    )


def route_all(folds: Path) -> dict[str, Any]:
    """Each threshold's routing of the out-of-fold probabilities, by the bot's `route`."""
    from bot.core.decide import SAFETY_DOMAIN, route
    from bot.nlu_client import IntentScore, Parse
    from bot.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(PROJECT_ROOT / "content")
    data = np.load(folds)
    classes = [str(c) for c in data["classes"]]
    gold = [taxonomy.domain_of(str(intent)) for intent in data["gold"]]

    def ranking(row: np.ndarray) -> tuple[IntentScore, ...]:
        return tuple(IntentScore(classes[i], float(row[i])) for i in row.argsort()[::-1][:10])

    parses = []
    for mixed, regression in zip(data["mixed"], data["regression"], strict=True):
        served = ranking(mixed)
        parses.append(Parse(served[0].intent, served[0].confidence, served, ranking(regression)))
    rows = []
    for threshold in THRESHOLDS:
        predicted = [taxonomy.domain_of(route(p, taxonomy, safety_mass=threshold)) for p in parses]
        pairs = list(zip(gold, predicted, strict=True))
        victims = [p for g, p in pairs if g == SAFETY_DOMAIN]
        rows.append(
            {
                "threshold": threshold,
                "domain_accuracy": round(sum(g == p for g, p in pairs) / len(pairs), 4),
                "anti_trafficking_recall": round(victims.count(SAFETY_DOMAIN) / len(victims), 4),
                "victims_missed": len(victims) - victims.count(SAFETY_DOMAIN),
                "others_as_anti_trafficking": sum(
                    g != SAFETY_DOMAIN and p == SAFETY_DOMAIN for g, p in pairs
                ),
            }
        )
        print(rows[-1], flush=True)
    return {"folds": FOLDS, "examples": len(gold), "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=Path, help="only fit the folds, into this file (in .venv-rasa)")
    args = parser.parse_args()
    if args.folds:
        fit_folds(args.folds)
        return
    from bot.rasa_server import rasa_env
    from bot.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        folds = Path(tmp) / "folds.npz"
        python = Settings().rasa_venv / "bin" / "python"
        subprocess.run(
            [str(python), "-m", "bench.safety_threshold", "--folds", str(folds)], env=rasa_env(), check=True
        )
        table = route_all(folds)
    out = PROJECT_ROOT / "docs" / "nlu" / "safety_threshold.json"
    out.write_text(json.dumps(table, indent=2) + "\n")
    print(f"written: {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
