"""Text features and a small multinomial logistic-regression model, in pure Python.

Pure Python on purpose: no numpy/sklearn import cost at start-up (< 1 s budget), and the
features of a short message are a few dozen character n-grams, so a dict lookup per n-gram
is as fast as a vectorised product would be after its overhead.
"""

from __future__ import annotations

import base64
import json
import math
import os
import random
import re
import tempfile
from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from handlers.latin import segment
from handlers.normalize import canonical

MAX_CHARS = 2000  # longer texts are cut: the point of a message is never 2,000 chars in
NGRAM_RANGE = (1, 3)
EMOJI_MARK = "☺"  # every run of emoji/pictographs becomes this one feature

T = TypeVar("T")


class Recent(Generic[T]):
    """The last few answers of a model about a text. The handlers of one message ask the same model
    about the same words more than once (each of classify, the act and the danger model twice per
    message of the bench mix: a fifth of the webhook's CPU, `bench/webhook_cpu.py --profile`); a
    handful of entries serve that message and never grow. An answer counts only for the model that
    gave it (`owner`: a reloaded model answers afresh)."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, tuple[object, T]] = OrderedDict()

    def get(self, owner: object, key: Hashable, compute: Callable[[], T]) -> T:
        hit = self._items.get(key)
        if hit is not None and hit[0] is owner:
            return hit[1]
        value = compute()
        self._items[key] = (owner, value)
        if len(self._items) > self._size:
            try:
                self._items.popitem(last=False)
            except KeyError:  # another thread emptied it
                pass
        return value


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202f\ufeff]")
_HTML_TAG = re.compile(r"<[^<>]{0,200}>")
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f900-\U0001f9ff\u2b50\u2b55\u3030\u303d"
    "\ufe0f\u200d\u20e3]+"
)
_WECHAT_EMOTE = re.compile(r"\[[\u4e00-\u9fff]{1,4}\]")  # WeChat's text emoticons, e.g. [微笑]
# keep CJK, latin letters, digits and the emoji mark; everything else is separator noise
_NOISE = re.compile(rf"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff{EMOJI_MARK}]+")
_DIGITS = re.compile(r"[0-9]+")
_LATIN = re.compile(r"[a-z]")


def normalize(text: str, replacements: Sequence[tuple[str, str]] = ()) -> str:
    """Canonical form used for both training and prediction."""
    text = text[: MAX_CHARS * 2]
    text = _HTML_TAG.sub(" ", text)
    text = _CONTROL.sub(" ", text)
    text = _WECHAT_EMOTE.sub(EMOJI_MARK, text)
    text = _EMOJI.sub(EMOJI_MARK, text)
    text = canonical(text)  # the one normalisation: simplified, half-width, slips fixed, English glossed
    text = _NOISE.sub(" ", text)
    text = _DIGITS.sub("0", text)  # building/unit numbers carry no category signal
    for old, new in replacements:
        text = text.replace(old, new)
    return " ".join(text.split())[:MAX_CHARS]


def syllables_of(norm: str) -> list[str]:
    """The pinyin syllables of the Latin words of a normalised text ('zenme ban' → zen, me, ban)."""
    out: list[str] = []
    for word in norm.split(" "):
        if word.isascii() and word.isalpha():
            out.extend(segment(word) or ())
    return out


def ngrams(norm: str) -> Counter[str]:
    """Character n-grams; a space marks the start and end so edge n-grams are distinct."""
    s = f" {norm} "
    lo, hi = NGRAM_RANGE
    out: Counter[str] = Counter()
    for n in range(lo, hi + 1):
        for i in range(len(s) - n + 1):
            g = s[i : i + n]
            if g.strip():  # a lone space is no feature
                out[g] += 1
    return out


@dataclass
class Head:
    """One softmax layer: weights per feature for each label."""

    labels: list[str]
    bias: list[float]
    weights: dict[str, list[float]]

    def probs(self, feats: list[tuple[str, float]]) -> list[float]:
        w = self.weights
        if len(self.bias) == 5:  # the main head: unrolled, about 1.5× faster in pure Python
            s0, s1, s2, s3, s4 = self.bias
            for g, v in feats:
                row = w.get(g)
                if row is not None:
                    a, b, c, d, e = row
                    s0 += a * v
                    s1 += b * v
                    s2 += c * v
                    s3 += d * v
                    s4 += e * v
            return softmax((s0, s1, s2, s3, s4))
        scores = list(self.bias)
        k = len(scores)
        for g, v in feats:
            row = w.get(g)
            if row is not None:
                for c in range(k):
                    scores[c] += row[c] * v
        return softmax(scores)


def softmax(scores: Sequence[float]) -> list[float]:
    m = max(scores)
    ex = [math.exp(s - m) for s in scores]
    t = sum(ex)
    return [e / t for e in ex]


@dataclass
class Model:
    idf: dict[str, float]
    main: Head
    subs: dict[str, Head]
    temperature: float = 1.0
    replacements: list[tuple[str, str]] = field(default_factory=list)
    lexicon: dict[str, list[str]] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def counts(self, text: str, norm: str | None = None) -> Counter[str]:
        """N-grams, one feature per lexicon group (a group generalises to its words unseen in
        training) and, for a message in Latin letters, its pinyin syllables and their bigrams."""
        if norm is None:
            norm = normalize(text, self.replacements)
        out = ngrams(norm)
        for name, words in self.lexicon.items():
            hits = sum(1 for w in words if w in norm)
            if hits:
                out["#" + name] = hits
        if not _LATIN.search(norm):
            return out
        syl = syllables_of(norm)  # pinyin: the model learnt these from the corpus lines' pinyin twins
        for i, s in enumerate(syl):
            out["~" + s] += 1
            if i:
                out[f"~{syl[i - 1]}_{s}"] += 1
        return out

    def features(self, text: str, norm: str | None = None) -> list[tuple[str, float]]:
        """Sublinear tf-idf, L2-normalised, over n-grams known to the model (`norm`: the text
        already normalised with this model's replacements)."""
        counts = self.counts(text, norm)
        idf = self.idf
        feats = []
        for g, tf in counts.items():
            w = idf.get(g)
            if w is not None:
                feats.append((g, (1.0 + math.log(tf)) * w))
        length = math.sqrt(sum(v * v for _, v in feats)) or 1.0
        return [(g, v / length) for g, v in feats]

    def predict(self, feats: list[tuple[str, float]]) -> list[float]:
        p = self.main.probs(feats)
        if self.temperature != 1.0:
            p = softmax([math.log(max(x, 1e-12)) / self.temperature for x in p])
        return p

    def save(self, path: Path) -> Path:
        """Format 2: the feature vocabulary once, idf and weights as base64 float32 arrays indexed
        into it: a third of the JSON, loaded several times faster (start-up budget < 1 s)."""
        vocab = list(self.idf)
        pos = {g: i for i, g in enumerate(vocab)}
        data = {
            "format": 2,
            "meta": self.meta,
            "temperature": self.temperature,
            "replacements": self.replacements,
            "lexicon": self.lexicon,
            "vocab": vocab,
            "idf": _pack("f", self.idf.values()),
            "heads": {k: _head_json(h, pos) for k, h in {"main": self.main, **self.subs}.items()},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        # atomic replace: other processes may be loading the file at this moment
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".classifier-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the model is no secret
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: Path) -> Model:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") == 2:
            vocab = data["vocab"]
            idf = dict(zip(vocab, _unpack("f", data["idf"]), strict=True))
            heads = {k: _head_from(h, vocab) for k, h in data["heads"].items()}
        else:
            idf = data["idf"]
            heads = {k: Head(h["labels"], h["bias"], h["weights"]) for k, h in data["heads"].items()}
        main = heads.pop("main")
        return cls(
            idf=idf,
            main=main,
            subs=heads,
            temperature=data.get("temperature", 1.0),
            replacements=[tuple(r) for r in data.get("replacements", [])],
            lexicon=data.get("lexicon", {}),
            meta=data.get("meta", {}),
        )


def _pack(code: str, values: Iterable[float]) -> str:
    return base64.b64encode(array(code, values).tobytes()).decode("ascii")


def _unpack(code: str, text: str) -> list:
    a = array(code)
    a.frombytes(base64.b64decode(text))
    return a.tolist()


def _head_json(h: Head, pos: dict[str, int]) -> dict:
    rows = [(pos[g], row) for g, row in h.weights.items() if g in pos and any(abs(x) >= 5e-5 for x in row)]
    return {"labels": h.labels, "bias": [round(b, 4) for b in h.bias],
            "rows": _pack("i", (i for i, _ in rows)), "weights": _pack("f", (x for _, row in rows for x in row))}


def _head_from(h: dict, vocab: list[str]) -> Head:
    k = len(h["labels"])
    flat = iter(_unpack("f", h["weights"]))
    # rows as tuples, grouped in C: building 50,000 lists in a Python loop took most of the load time
    rows = zip(*[flat] * k, strict=True)
    weights = dict(zip(map(vocab.__getitem__, _unpack("i", h["rows"])), rows, strict=True))
    return Head(h["labels"], h["bias"], weights)  # type: ignore[arg-type]


def fit_idf(docs: Iterable[Counter[str]], min_df: int = 2) -> dict[str, float]:
    df: Counter[str] = Counter()
    n = 0
    for c in docs:
        n += 1
        df.update(c.keys())
    return {g: math.log((1 + n) / (1 + d)) + 1.0 for g, d in df.items() if d >= min_df}


def fit_head(
    X: list[list[tuple[str, float]]],
    y: list[str],
    labels: list[str] | None = None,
    epochs: int = 20,
    lr: float = 0.5,
    l2: float = 1e-4,
    seed: int = 7,
) -> Head:
    """Multinomial logistic regression by SGD on sparse features (L2 applied to touched rows)."""
    labels = labels or sorted(set(y))
    k = len(labels)
    idx = {lab: i for i, lab in enumerate(labels)}
    yi = [idx[t] for t in y]
    # class weights so small classes are not drowned (recall matters per category)
    counts = Counter(yi)
    cw = [len(yi) / (k * counts[c]) if counts[c] else 0.0 for c in range(k)]
    weights: dict[str, list[float]] = {}
    bias = [0.0] * k
    order = list(range(len(X)))
    rng = random.Random(seed)
    step = 0
    total = max(1, epochs * len(X))
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            feats = X[i]
            rows = [weights.setdefault(g, [0.0] * k) for g, _ in feats]
            scores = list(bias)
            for row, (_, v) in zip(rows, feats, strict=True):
                for c in range(k):
                    scores[c] += row[c] * v
            p = softmax(scores)
            p[yi[i]] -= 1.0
            a = lr * (1.0 - step / total) * cw[yi[i]]  # linear decay to zero
            step += 1
            g = [a * x for x in p]
            decay = 1.0 - lr * l2
            for row, (_, v) in zip(rows, feats, strict=True):
                for c in range(k):
                    row[c] = row[c] * decay - g[c] * v
            for c in range(k):
                bias[c] -= g[c] * 0.1
    return Head(labels, bias, weights)


def fit_temperature(probs: list[list[float]], gold: list[int]) -> float:
    """Temperature that minimises held-out log-loss, so confidence reads as a probability."""
    def nll(t: float) -> float:
        total = 0.0
        for p, y in zip(probs, gold, strict=True):
            q = softmax([math.log(max(x, 1e-12)) / t for x in p])
            total -= math.log(max(q[y], 1e-12))
        return total
    grid = [0.5 + 0.1 * i for i in range(46)]  # 0.5 … 5.0
    return min(grid, key=nll) if probs else 1.0
