"""Run by tests/test_tfidf_component.py with .venv-rasa's Python (where sklearn lives):
the classifier's own TF-IDF features and probabilities against sklearn's, on a small
pipeline trained here, with and without the naive-Bayes half. Prints the largest
differences as JSON."""

import json

import numpy as np
from sklearn.naive_bayes import ComplementNB

from bot.rasa_components.tfidf_classifier import TfidfIntentClassifier

TRAIN = [
    ("dove posso dormire stanotte", "shelter"), ("non ho casa dormo in stazione", "shelter"),
    ("mi serve un letto a Milano", "shelter"), ("il capo ha preso il mio passaporto", "forced"),
    ("lavoro senza paga e non posso andare via", "forced"), ("debito del viaggio, mi minacciano", "forced"),
    ("ciao", "greet"), ("buongiorno", "greet"), ("salam", "greet"),
]  # fmt: skip
PROBES = ["dormo fuori stanotte", "il capo tiene il passaporto", "", "🙂🙂", "x" * 5000, "ok\x00", "ciaooo"]

config = TfidfIntentClassifier.get_default_config()
texts, intents = [t for t, _ in TRAIN], [i for _, i in TRAIN]
pipeline = TfidfIntentClassifier(config, None, None).train_pipeline(texts, intents)  # type: ignore[arg-type]
naive_bayes = ComplementNB(alpha=0.3).fit(pipeline.steps[0][1].transform(texts), intents)
plain = TfidfIntentClassifier(config, None, None, pipeline)  # type: ignore[arg-type]
mixed = TfidfIntentClassifier(config, None, None, pipeline, naive_bayes)  # type: ignore[arg-type]

regression = pipeline.predict_proba(PROBES)
features = pipeline.steps[0][1].transform(PROBES)
ours_plain, ours_plain_calibrated = plain.probabilities(PROBES)
ours_mixed, ours_calibrated = mixed.probabilities(PROBES)
print(
    json.dumps(
        {
            "features": float(abs(features - plain._features(PROBES)).max()),
            "probabilities": float(np.abs(regression - ours_plain).max()),
            "plain_calibrated": float(np.abs(regression - ours_plain_calibrated).max()),
            "mixed": float(np.abs((regression + naive_bayes.predict_proba(features)) / 2 - ours_mixed).max()),
            "mixed_calibrated": float(np.abs(regression - ours_calibrated).max()),
        }
    )
)
