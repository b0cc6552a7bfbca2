"""Run by tests/test_tfidf_component.py with .venv-rasa's Python (where sklearn lives):
the classifier's own TF-IDF features and probabilities against sklearn's, on a small
pipeline trained here. Prints the largest differences as JSON."""

import json

import numpy as np
from sklearn.utils.extmath import softmax

from bot.rasa_components.tfidf_classifier import TfidfIntentClassifier

TRAIN = [
    ("dove posso dormire stanotte", "shelter"), ("non ho casa dormo in stazione", "shelter"),
    ("mi serve un letto a Milano", "shelter"), ("il capo ha preso il mio passaporto", "forced"),
    ("lavoro senza paga e non posso andare via", "forced"), ("debito del viaggio, mi minacciano", "forced"),
    ("ciao", "greet"), ("buongiorno", "greet"), ("salam", "greet"),
]  # fmt: skip
PROBES = ["dormo fuori stanotte", "il capo tiene il passaporto", "", "🙂🙂", "x" * 5000, "ok\x00", "ciaooo"]

component = TfidfIntentClassifier(TfidfIntentClassifier.get_default_config(), None, None)  # type: ignore[arg-type]
pipeline = component.train_pipeline([t for t, _ in TRAIN], [i for _, i in TRAIN])
component = TfidfIntentClassifier(component.config, None, None, pipeline)  # type: ignore[arg-type]
theirs = pipeline.steps[0][1].transform(PROBES)
ours = component._features(PROBES)
probabilities = softmax(np.asarray(ours @ component._weights) + pipeline.steps[-1][1].intercept_)
print(
    json.dumps(
        {
            "features": float(abs(theirs - ours).max()),
            "probabilities": float(np.abs(pipeline.predict_proba(PROBES) - probabilities).max()),
        }
    )
)
