from pathlib import Path

from bot.evaluation import Prediction, accuracy, format_report, macro_f1, plot_confusion, score
from bot.settings import PROJECT_ROOT
from bot.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy(PROJECT_ROOT / "content")


def test_macro_f1_and_accuracy() -> None:
    pairs = [("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")]
    assert accuracy(pairs) == 0.75
    # a: p=1 r=.5 f=.667; b: p=.667 r=1 f=.8
    assert abs(macro_f1(pairs) - (2 / 3 + 0.8) / 2) < 1e-9


def test_score_counts_domains_recall_and_language_id(tmp_path: Path) -> None:
    predictions = [
        Prediction("it", "trafficking_forced_labour", "trafficking_someone_else", 0.6, "it"),
        Prediction("it", "trafficking_sexual_exploitation", "health_mental", 0.4, "en"),
        Prediction("ar", "health_stp_eni", "health_stp_eni", 0.9, "ar"),
        Prediction("ar", "greet", "greet", 0.9, "ar"),
    ]
    report = score(predictions, TAXONOMY)
    assert report["anti_trafficking_recall"] == 0.5
    assert report["language_id_accuracy"] == 0.75
    assert report["per_language"]["ar"]["domain_accuracy"] == 1.0  # type: ignore[index]
    assert report["per_language"]["it"]["domain_accuracy"] == 0.5  # type: ignore[index]
    confusion = report["confusion"]
    labels = confusion["labels"]  # type: ignore[index]
    matrix = confusion["matrix"]  # type: ignore[index]
    assert matrix[labels.index("anti_trafficking")][labels.index("health")] == 1
    assert "anti-trafficking recall: 0.5" in format_report(report)
    plot_confusion(report, str(tmp_path / "c.png"))
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
