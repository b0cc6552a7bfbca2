"""Scoring the NLU on the held-out split: pure functions over predictions."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.taxonomy import Taxonomy

TRAFFICKING = "anti_trafficking"


@dataclass(frozen=True)
class Prediction:
    language: str  # the language of the test file
    intent: str  # the true intent
    predicted: str  # the intent the NLU returned
    confidence: float
    detected_language: str | None
    routed: str = ""  # the intent the bot acts on (bot.core.decide.route)


def macro_f1(pairs: Sequence[tuple[str, str]]) -> float:
    """Macro-averaged F1 over the true labels of (true, predicted) pairs."""
    labels = sorted({t for t, _ in pairs})
    if not labels:
        return 0.0
    scores = []
    for label in labels:
        tp = sum(1 for t, p in pairs if t == label and p == label)
        fp = sum(1 for t, p in pairs if t != label and p == label)
        fn = sum(1 for t, p in pairs if t == label and p != label)
        denominator = 2 * tp + fp + fn
        scores.append(2 * tp / denominator if denominator else 0.0)
    return sum(scores) / len(scores)


def accuracy(pairs: Sequence[tuple[str, str]]) -> float:
    return sum(1 for t, p in pairs if t == p) / len(pairs) if pairs else 0.0


def _group_scores(
    pairs: Sequence[tuple[str, str]], domain_pairs: Sequence[tuple[str, str]]
) -> dict[str, float]:
    return {
        "n": len(pairs),
        "intent_accuracy": round(accuracy(pairs), 4),
        "intent_macro_f1": round(macro_f1(pairs), 4),
        "domain_accuracy": round(accuracy(domain_pairs), 4),
        "domain_macro_f1": round(macro_f1(domain_pairs), 4),
    }


def score(predictions: Iterable[Prediction], taxonomy: Taxonomy) -> dict[str, object]:
    """Accuracy and macro-F1 overall, per language and per domain; trafficking recall;
    language-ID accuracy; the domain confusion matrix."""
    preds = list(predictions)
    intent_pairs = [(p.intent, p.predicted) for p in preds]
    domain_pairs = [(taxonomy.domain_of(p.intent), taxonomy.domain_of(p.predicted)) for p in preds]

    by_language: dict[str, list[int]] = defaultdict(list)
    by_domain: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(preds):
        by_language[p.language].append(i)
        by_domain[domain_pairs[i][0]].append(i)

    def subset(indices: list[int]) -> dict[str, float]:
        return _group_scores([intent_pairs[i] for i in indices], [domain_pairs[i] for i in indices])

    trafficking = [p for t, p in domain_pairs if t == TRAFFICKING]
    confusion = Counter(domain_pairs)
    domains = list(taxonomy.domain_names)
    return {
        "overall": subset(list(range(len(preds)))),
        "per_language": {lang: subset(ix) for lang, ix in sorted(by_language.items())},
        "per_domain": {dom: subset(ix) for dom, ix in sorted(by_domain.items())},
        "anti_trafficking_recall": round(
            sum(1 for p in trafficking if p == TRAFFICKING) / len(trafficking), 4
        )
        if trafficking
        else None,
        "language_id_accuracy": round(
            sum(1 for p in preds if p.detected_language == p.language) / len(preds), 4
        )
        if preds
        else None,
        "as_routed_by_the_bot": _routed(preds, taxonomy),
        "confusion": {
            "labels": domains,
            "matrix": [[confusion[(t, p)] for p in domains] for t in domains],
        },
        "errors": [
            {"language": p.language, "intent": p.intent, "predicted": p.predicted}
            for p in preds
            if p.intent != p.predicted
        ],
    }


def _routed(preds: list[Prediction], taxonomy: Taxonomy) -> dict[str, float | None]:
    """Domain accuracy and recall after the bot's safety rule; "safety" also counts
    anti-trafficking messages answered as emergencies (hotlines first either way)."""
    routed = [(taxonomy.domain_of(p.intent), p.routed or p.predicted) for p in preds]
    trafficking = [r for t, r in routed if t == TRAFFICKING]
    return {
        "domain_accuracy": round(accuracy([(t, taxonomy.domain_of(r)) for t, r in routed]), 4)
        if routed
        else None,
        "anti_trafficking_recall": round(
            sum(taxonomy.domain_of(r) == TRAFFICKING for r in trafficking) / len(trafficking), 4
        )
        if trafficking
        else None,
        "anti_trafficking_safety_recall": round(
            sum(taxonomy.domain_of(r) == TRAFFICKING or r == "emergency" for r in trafficking)
            / len(trafficking),
            4,
        )
        if trafficking
        else None,
    }


def format_report(report: dict[str, object]) -> str:
    """A readable table of a score() report."""
    lines: list[str] = []
    header = f"{'':12} {'n':>5} {'int.acc':>8} {'int.F1':>7} {'dom.acc':>8} {'dom.F1':>7}"

    def row(name: str, s: object) -> str:
        assert isinstance(s, dict)
        return (
            f"{name:12} {s['n']:>5} {s['intent_accuracy']:>8.3f} {s['intent_macro_f1']:>7.3f} "
            f"{s['domain_accuracy']:>8.3f} {s['domain_macro_f1']:>7.3f}"
        )

    for section in ("per_language", "per_domain"):
        lines += [section.replace("_", " "), header]
        group = report[section]
        assert isinstance(group, dict)
        lines += [row(name, s) for name, s in group.items()]
        lines.append("")
    lines.append(row("overall", report["overall"]))
    lines.append(f"anti-trafficking recall: {report['anti_trafficking_recall']}")
    lines.append(f"language-ID accuracy:    {report['language_id_accuracy']}")
    routed = report["as_routed_by_the_bot"]
    assert isinstance(routed, dict)
    lines.append(
        f"as the bot routes (safety rule): domain accuracy {routed['domain_accuracy']}, "
        f"anti-trafficking recall {routed['anti_trafficking_recall']} "
        f"(answered with hotlines, emergency included: {routed['anti_trafficking_safety_recall']})"
    )
    confusion = report["confusion"]
    assert isinstance(confusion, dict)
    labels = [label[:8] for label in confusion["labels"]]
    lines += ["", "domain confusion (rows: true, columns: predicted)"]
    lines.append(f"{'':12} " + " ".join(f"{label:>8}" for label in labels))
    for label, counts in zip(labels, confusion["matrix"], strict=True):
        lines.append(f"{label:12} " + " ".join(f"{c:>8}" for c in counts))
    return "\n".join(lines)


def plot_confusion(report: dict[str, object], path: str) -> None:
    """Write the domain confusion matrix as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    confusion = report["confusion"]
    assert isinstance(confusion, dict)
    labels, matrix = confusion["labels"], confusion["matrix"]
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for i, counts in enumerate(matrix):
        for j, count in enumerate(counts):
            ax.text(j, i, str(count), ha="center", va="center", fontsize=9)
    ax.set_xlabel("predicted domain")
    ax.set_ylabel("true domain")
    ax.set_title("NLU domain confusion on nlu/tests/")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
