"""The Rasa component computes TF-IDF itself (faster than sklearn's transform): it must
give sklearn's numbers. Runs in .venv-rasa, where the component and sklearn live."""

import json
import subprocess

from bot.rasa_server import rasa_env
from bot.settings import PROJECT_ROOT, Settings


def test_own_tfidf_gives_sklearns_features_and_probabilities() -> None:
    """Also with the naive-Bayes half: the mean of both models' probabilities, and the
    regression's own beside it."""
    python = Settings().rasa_venv / "bin" / "python"
    script = PROJECT_ROOT / "tests" / "helpers" / "tfidf_equivalence.py"
    result = subprocess.run(
        [str(python), str(script)], env=rasa_env(), capture_output=True, text=True, timeout=300, check=True
    )
    differences = json.loads(result.stdout.strip().splitlines()[-1])
    assert differences["features"] < 1e-12
    assert all(
        differences[k] < 1e-9 for k in ("probabilities", "plain_calibrated", "mixed", "mixed_calibrated")
    )
