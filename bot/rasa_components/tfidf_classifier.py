"""An intent classifier over sublinear TF-IDF of character and word n-grams.

Rasa's LogisticRegressionClassifier sees raw n-gram counts, so long or repetitive
messages weigh more than short ones; scaling the counts (1 + log tf, idf, L2 norm)
before a logistic regression made domain accuracy on nlu/tests/ clearly better
(docs/nlu.md has the comparison). Everything needed is in the component: it reads the
message text itself, so no featurizer runs before it.

With ``naive_bayes_alpha`` > 0 a complement naive Bayes is fitted on the same features
and the ranking is the mean of both models' probabilities (fewer domain errors on
nlu/tests/). Naive Bayes probabilities are extreme, so the logistic regression's own,
calibrated ranking is returned beside it as ``calibrated_intent_ranking``: the bot's
safety rule sums probabilities and must read calibrated ones (docs/nlu.md).
"""

from __future__ import annotations

from typing import Any

import joblib
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.preprocessing import normalize
from sklearn.utils.extmath import softmax

from bot.rasa_components.text import normalise

MODEL_FILE = "tfidf_classifier.joblib"
NAIVE_BAYES_FILE = "naive_bayes.joblib"
CALIBRATED_RANKING = "calibrated_intent_ranking"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfIntentClassifier(GraphComponent, IntentClassifier):  # type: ignore[misc]
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 20.0,
            "char_ngram_max": 5,
            "word_ngram_max": 2,
            "max_iter": 3000,
            "ranking_length": 10,
            "naive_bayes_alpha": 0.0,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        pipeline: Pipeline | None = None,
        naive_bayes: ComplementNB | None = None,
    ) -> None:
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self._use(pipeline, naive_bayes)

    def _use(self, pipeline: Pipeline | None, naive_bayes: ComplementNB | None) -> None:
        self.pipeline = pipeline
        self.naive_bayes = naive_bayes
        self._weights = self._contiguous_weights(pipeline)
        self._idf = self._idf_vectors(pipeline)
        self._log_likelihoods = (
            None if naive_bayes is None else np.ascontiguousarray(naive_bayes.feature_log_prob_.T)
        )

    @staticmethod
    def _contiguous_weights(pipeline: Pipeline | None) -> np.ndarray | None:
        """The classifier's weights transposed once, in C order.

        A sparse matrix times an F-ordered array (what ``coef_.T`` is) makes scipy copy the
        whole 29 × 250k weight matrix on every call: 8 ms of a 12 ms parse.
        """
        if pipeline is None:
            return None
        return np.ascontiguousarray(pipeline.steps[-1][1].coef_.T)

    @staticmethod
    def _idf_vectors(pipeline: Pipeline | None) -> list[np.ndarray]:
        """Each vectorizer's idf weights, read once.

        sklearn's TfidfVectorizer.transform rebuilds ``idf_`` from its sparse diagonal on
        every call (a sum over all 365k features) and multiplies by that diagonal: a third
        of a parse once the vocabulary grew (py-spy on the Rasa server).
        """
        if pipeline is None:
            return []
        return [np.asarray(v.idf_, dtype=np.float64) for _, v in pipeline.steps[0][1].transformer_list]

    def _features(self, texts: list[str]) -> sparse.csr_matrix:
        """The union's TF-IDF features, the same numbers as its transform (tested)."""
        assert self.pipeline is not None
        blocks = []
        for (_, vectorizer), idf in zip(self.pipeline.steps[0][1].transformer_list, self._idf, strict=True):
            counts = CountVectorizer.transform(vectorizer, texts).astype(np.float64)
            if vectorizer.sublinear_tf:
                np.log(counts.data, counts.data)
                counts.data += 1.0
            counts.data *= idf[counts.indices]
            blocks.append(normalize(counts, norm=vectorizer.norm, copy=False))
        return sparse.hstack(blocks, format="csr")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TfidfIntentClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT)]
        self.fit([e.get(TEXT) for e in examples], [e.get(INTENT) for e in examples])
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self.pipeline, directory / MODEL_FILE)
            if self.naive_bayes is not None:
                joblib.dump(self.naive_bayes, directory / NAIVE_BAYES_FILE)
        return self._resource

    def fit(self, texts: list[str], intents: list[str]) -> None:
        """Fit the models the config asks for, ready for `probabilities` (not stored)."""
        pipeline = self.train_pipeline(texts, intents)
        naive_bayes = None
        if self.config["naive_bayes_alpha"] > 0:
            naive_bayes = ComplementNB(alpha=self.config["naive_bayes_alpha"])
            naive_bayes.fit(pipeline.steps[0][1].transform(texts), intents)
        self._use(pipeline, naive_bayes)

    def train_pipeline(self, texts: list[str], intents: list[str]) -> Pipeline:
        """The fitted sklearn pipeline: TF-IDF features into a logistic regression."""
        features = make_union(
            TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(1, self.config["char_ngram_max"]),
                sublinear_tf=True,
                preprocessor=normalise,
            ),
            TfidfVectorizer(
                analyzer="word",
                ngram_range=(1, self.config["word_ngram_max"]),
                sublinear_tf=True,
                preprocessor=normalise,
            ),
        )
        classifier = LogisticRegression(C=self.config["C"], max_iter=self.config["max_iter"], random_state=42)
        return make_pipeline(features, classifier).fit(texts, intents)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfIntentClassifier:
        pipeline, naive_bayes = None, None
        try:
            with model_storage.read_from(resource) as directory:
                pipeline = joblib.load(directory / MODEL_FILE)
                if (directory / NAIVE_BAYES_FILE).exists():
                    naive_bayes = joblib.load(directory / NAIVE_BAYES_FILE)
        except ValueError:  # not trained (e.g. no intent examples)
            pass
        return cls(config, model_storage, resource, pipeline, naive_bayes)

    def probabilities(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per text and intent: the probabilities the ranking is made of, and the logistic
        regression's own (the same array when there is no naive Bayes)."""
        assert self.pipeline is not None and self._weights is not None
        vectors = self._features(texts)
        # The same numbers as the pipeline's predict_proba (multinomial logistic regression).
        calibrated = softmax(np.asarray(vectors @ self._weights) + self.pipeline.steps[-1][1].intercept_)
        if self._log_likelihoods is None:
            return calibrated, calibrated
        # The same numbers as ComplementNB.predict_proba.
        naive_bayes = softmax(np.asarray(vectors @ self._log_likelihoods))
        return (calibrated + naive_bayes) / 2, calibrated

    def process(self, messages: list[Message]) -> list[Message]:
        if self.pipeline is None:
            return messages
        intents = self.pipeline.steps[-1][1].classes_
        mixed, calibrated = self.probabilities([m.get(TEXT) or "" for m in messages])
        for message, row, calibrated_row in zip(messages, mixed, calibrated, strict=True):
            ranking = self._ranking(intents, row)
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
            if self.naive_bayes is not None:
                message.set(CALIBRATED_RANKING, self._ranking(intents, calibrated_row), add_to_output=True)
        return messages

    def _ranking(self, intents: np.ndarray, row: np.ndarray) -> list[dict[str, Any]]:
        order = row.argsort()[::-1][: self.config["ranking_length"]]
        return [{"name": str(intents[i]), "confidence": float(row[i])} for i in order]
