"""The benchmark datasets and the one split every benchmark script uses.

Each dataset in ``../shared/datasets`` (or a script's ``--data-dir``) is split
80/20, stratified by its target, with seed 0; its discrete columns are the
peer's convention: the non-numeric columns plus the target.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
#: dataset name: (file in the data directory, target column, columns dropped)
DATASETS = {
    "adult": ("adult.csv", "income", []),
    "credit_default": ("credit_default.csv", "default.payment.next.month", ["ID"]),
}


def load(dataset: str, data_dir: Path):
    """``(train, test, target, discrete)``: the split of ``dataset`` and its discrete columns."""
    from sklearn.model_selection import train_test_split

    filename, target, drop = DATASETS[dataset]
    frame = pd.read_csv(data_dir / filename).drop(columns=drop)
    discrete = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    discrete = [*discrete, target] if target not in discrete else discrete
    train, test = train_test_split(frame, test_size=0.2, stratify=frame[target], random_state=0)
    return train.reset_index(drop=True), test.reset_index(drop=True), target, discrete
