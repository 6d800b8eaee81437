"""Dialogue acts: what a message means in the state it arrives in — a learned model beside the
category model (`handlers.classify`).

The act says *what the resident is doing* (reporting, adding to a ticket, asking where it stands,
urging, withdrawing, rating …; a council member accepting, handing back, finishing); the typed state
(the question pending, the open tickets, the tasks) says *what it can be about*. The handlers combine
the two: a ref like R1001 or a digit answering a numbered question stay rules; the act decides where
keywords used to (progress vs urge vs add vs a new report, a withdrawal, a sign-up in free words).

Features: the message's character n-grams (the classifier's normalisation), a token for the context,
and every n-gram crossed with the context (the same words mean another act in another state:
"好了" after 办结 is a rating, with an open ticket a withdrawal). Trained from
handlers/corpus/acts/train-*.tsv (and acts/extra.tsv, ours) — never from holdout.tsv — and stored as
handlers/model/acts.json, retrained at first use when the corpus changed (about a second).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from handlers.model import Head, Model, Recent, fit_head, fit_idf, ngrams, normalize

RESIDENT_ACTS = ("report", "add", "progress", "urge", "withdraw", "reopen", "rate", "signup", "cancel_signup",
                 "question", "handoff", "correction", "thanks", "chitchat")
MEMBER_ACTS = ("accept", "return", "finish", "progress_note")
ACTS = RESIDENT_ACTS + MEMBER_ACTS
CONTEXTS = ("none", "open_ticket", "asked_courtyard", "awaiting_callback", "member_task")

HERE = Path(__file__).resolve().parent
ACTS_DIR = HERE / "corpus" / "acts"
TRAIN_FILES = ("train-author1.tsv", "train-author2.tsv", "extra.tsv")  # never holdout.tsv
MODEL_PATH = Path(os.environ.get("STEWARD_ACTS_MODEL", HERE / "model" / "acts.json"))
FEATURES_VERSION = "1"
CROSS_WEIGHT = 0.7  # a context-crossed n-gram counts a little less than the n-gram itself

log = logging.getLogger(__name__)
DISABLED = False  # bench/acts.py's rules baseline: the conversation as it was before the act model


@dataclass(frozen=True)
class Act:
    act: str
    confidence: float
    second: str = ""  # the runner-up, for "ask only when truly unclear"


def read(path: Path) -> list[tuple[str, str, str]]:
    """(context, act, text) lines of an acts file."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0].strip() in CONTEXTS and parts[1].strip() in ACTS:
            rows.append((parts[0].strip(), parts[1].strip(), "\t".join(parts[2:]).strip()))
    return rows


def training_rows() -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for name in TRAIN_FILES:
        p = ACTS_DIR / name
        if p.exists():
            rows += read(p)
    return rows


def corpus_digest() -> str:
    h = hashlib.sha1(FEATURES_VERSION.encode())
    for p in (*(ACTS_DIR / n for n in TRAIN_FILES), HERE / "normalize.py", Path(__file__)):
        h.update(p.read_bytes() if p.exists() else b"")
    return h.hexdigest()


def counts(context: str, text: str) -> Counter[str]:
    grams = ngrams(normalize(text))
    out: Counter[str] = Counter(grams)
    out["@" + context] = 1
    tag = context[:2] + "|"
    for g, n in grams.items():
        out[tag + g] = n
    return out


class ActModel:
    def __init__(self, idf: dict[str, float], head: Head, meta: dict | None = None) -> None:
        self.idf, self.head, self.meta = idf, head, meta or {}

    def features(self, context: str, text: str) -> list[tuple[str, float]]:
        import math

        feats = []
        for g, tf in counts(context, text).items():
            w = self.idf.get(g)
            if w is not None:
                v = (1.0 + math.log(tf)) * w
                feats.append((g, v * CROSS_WEIGHT if "|" in g[:3] else v))
        length = math.sqrt(sum(v * v for _, v in feats)) or 1.0
        return [(g, v / length) for g, v in feats]

    def scores(self, context: str, text: str) -> dict[str, float]:
        p = self.head.probs(self.features(context, text))
        return dict(zip(self.head.labels, p, strict=True))

    def read(self, context: str, text: str, allowed: tuple[str, ...] | None = None) -> Act:
        """The likeliest act (among `allowed`, when given: a resident is never read as accepting a task)."""
        s = self.scores(context if context in CONTEXTS else "none", text)
        ranked = sorted(((p, a) for a, p in s.items() if allowed is None or a in allowed), reverse=True)
        total = sum(p for p, _ in ranked) or 1.0
        best = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else ""
        return Act(best[1], best[0] / total, second)

    def save(self, path: Path) -> Path:
        return Model(idf=self.idf, main=self.head, subs={}, meta=self.meta).save(path)

    @classmethod
    def load(cls, path: Path) -> ActModel:
        m = Model.load(path)
        return cls(m.idf, m.main, m.meta)


def fit(rows: list[tuple[str, str, str]], epochs: int = 25) -> ActModel:
    idf = fit_idf((counts(c, t) for c, _, t in rows), min_df=1)
    model = ActModel(idf, Head(list(ACTS), [0.0] * len(ACTS), {}))
    X = [model.features(c, t) for c, _, t in rows]
    labels = [a for a in ACTS if any(r[1] == a for r in rows)]
    model.head = fit_head(X, [a for _, a, _ in rows], labels=labels, epochs=epochs, lr=0.5, l2=1e-5)
    return model


def train(path: Path | None = None) -> Path:
    rows = training_rows()
    model = fit(rows)
    model.meta = {"corpus": corpus_digest(), "examples": len(rows)}
    path = Path(path or MODEL_PATH)
    model.save(path)
    return path


_lock = threading.Lock()
_cache: dict[str, ActModel] = {}


def model() -> ActModel:
    """The act model, (re)trained first when missing or built from another corpus."""
    with _lock:
        m = _cache.get("m")
        if m is not None:
            return m
        digest = corpus_digest()
        try:
            m = ActModel.load(MODEL_PATH)
            if m.meta.get("corpus") != digest:
                m = None
        except (OSError, ValueError, KeyError):
            m = None
        if m is None:
            try:
                m = ActModel.load(train())
            except OSError:  # read-only install: train into a temp file
                m = ActModel.load(train(Path(tempfile.mkdtemp()) / "acts.json"))
        _cache["m"] = m
        return m


_recent: Recent[Act] = Recent()


def read_act(context: str, text: str, allowed: tuple[str, ...] | None = None) -> Act | None:
    """The act of `text` in `context` (None when the model is switched off)."""
    if DISABLED:
        return None
    m = model()
    return _recent.get(m, (context, text, allowed), lambda: m.read(context, text, allowed))
