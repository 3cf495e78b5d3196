"""Plain-text quality reports for the terminal."""

from __future__ import annotations


def format_quality(quality: dict) -> str:
    """Per-topic precision, recall and F1, false alarms and the confusion matrix, as a table."""
    lines = []
    for title, key in (("All examples", "all"), ("The company's own examples", "company")):
        measured = quality.get(key)
        if not measured:
            continue
        lines.append(f"\n{title} ({quality['folds']}-fold cross-validation, posts scored by sentence)")
        lines.append(f"  {'topic':<22}{'precision':>10}{'recall':>9}{'F1':>8}{'n':>7}")
        for topic, m in measured["topics"].items():
            lines.append(
                f"  {topic:<22}{m['precision']:>10.2f}{m['recall']:>9.2f}{m['f1']:>8.2f}{m['support']:>7}"
            )
        if measured["false_alarm_rate"] is not None:
            lines.append(
                f"  false alarms on harmless posts: {measured['false_alarm_rate']:.1%} "
                f"of {measured['harmless']}"
            )
        if measured["taboo_recall"] is not None:
            lines.append(f"  taboo posts flagged (any topic): {measured['taboo_recall']:.1%}")
        lines.append("  confusion (rows: true label, columns: decided)")
        labels = measured["confusion"]["labels"]
        width = max(len(label) for label in labels) + 2
        lines.append("  " + " " * width + "".join(f"{label[:10]:>12}" for label in labels))
        for label, row in zip(labels, measured["confusion"]["matrix"]):
            lines.append("  " + f"{label:<{width}}" + "".join(f"{count:>12}" for count in row))
    thresholds = ", ".join(f"{t} {v:.2f}" for t, v in quality["thresholds"].items())
    lines.append(f"\nThresholds: {thresholds}")
    return "\n".join(lines).lstrip("\n")
