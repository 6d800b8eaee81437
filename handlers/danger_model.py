"""Emergencies, learned: which kind of danger a message reports now, or none.

A multinomial logistic regression (`handlers.model`) over the blind corpus
`handlers/corpus/emergency/train.tsv` (labels fire, gas, person, lift, electric, manhole, structure,
none — the none lines are the hard negatives: blocked drains, ordinary leaks, past events,
questions about safety). `handlers/corpus/emergency/test.tsv` is held out: never trained on.
The model file (`handlers/model/emergency.json`) is rebuilt when the corpus changes.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from handlers.model import Head, Model, Recent, fit_head, fit_idf

HERE = Path(__file__).resolve().parent
TRAIN_TSV = HERE / "corpus" / "emergency" / "train.tsv"
MODEL_PATH = HERE / "model" / "emergency.json"
FEATURES_VERSION = "1"
LABELS = ("none", "fire", "gas", "person", "lift", "electric", "manhole", "structure")
# A kind is reported when the model gives it at least this probability (cross-validated on the
# training lines: false alarms cost a fire engine, misses cost more).
THRESHOLD = 0.5


@dataclass(frozen=True)
class Reading:
    label: str  # one of LABELS
    p: float  # its probability
    p_none: float


def read_tsv(path: Path) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if "\t" not in line:
            continue
        label, text = line.split("\t", 1)
        if label.strip() in LABELS and text.strip():
            rows.append((text.strip(), label.strip()))
    return rows


def digest() -> str:
    h = hashlib.sha1(FEATURES_VERSION.encode())
    for p in (TRAIN_TSV, HERE / "normalize.py", HERE / "model.py"):
        h.update(p.read_bytes() if p.exists() else b"")
    return h.hexdigest()


def fit(rows: list[tuple[str, str]]) -> Model:
    model = Model(idf={}, main=Head(list(LABELS), [0.0] * len(LABELS), {}), subs={})
    model.idf = fit_idf((model.counts(t) for t, _ in rows), min_df=1)
    X = [model.features(t) for t, _ in rows]
    model.main = fit_head(X, [y for _, y in rows], labels=list(LABELS), epochs=30, lr=0.5)
    return model


def train(path: Path = MODEL_PATH) -> Path:
    model = fit(read_tsv(TRAIN_TSV))
    model.meta = {"corpus": digest(), "kind": "emergency"}
    return model.save(path)


def predict(model: Model, text: str) -> Reading:
    p = model.main.probs(model.features(text))
    best = max(range(len(p)), key=p.__getitem__)
    labels = model.main.labels
    return Reading(labels[best], p[best], p[labels.index("none")])


_lock = threading.Lock()
_state: dict[str, Model] = {}


def default() -> Model:
    if "model" in _state:
        return _state["model"]
    with _lock:
        if "model" not in _state:
            try:
                model = Model.load(MODEL_PATH)
                if model.meta.get("corpus") != digest():
                    raise ValueError("stale")
            except (OSError, ValueError, KeyError):
                try:
                    train(MODEL_PATH)
                    model = Model.load(MODEL_PATH)
                except OSError:  # read-only install: keep it in memory
                    model = fit(read_tsv(TRAIN_TSV))
            _state["model"] = model
        return _state["model"]


_recent: Recent[Reading] = Recent()


def reading(text: str) -> Reading:
    model = default()
    return _recent.get(model, text, lambda: predict(model, text))
