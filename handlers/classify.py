"""Message classifier: category, subcategory and confidence for a resident's message.

Pure functions over text. The model is a JSON file under handlers/model/; when it is missing, or
was trained from an older corpus, it is (re)trained from handlers/corpus/ at first use, so a
fresh clone needs no setup step. Keyword rules in handlers/corpus/rules.toml are applied with
the model: category overrides where a keyword is surer than statistics, and subcategory rules.
Every reader of the text sees it through handlers/normalize.py (traditional characters, numerals,
voice slips, English glossed); the corpus lines are also trained on as toneless pinyin, so a
message typed in pinyin is read by the same model.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from handlers.model import EMOJI_MARK, Model, Recent, fit_head, fit_idf, fit_temperature, normalize

CATEGORIES = ("repair", "grievance", "event", "inquiry", "other")
SUBCATEGORIES: dict[str, tuple[str, ...]] = {
    "repair": ("照明", "给排水", "电力线路", "房屋", "门禁", "充电设施", "道路", "健身器材", "电梯", "其他维修"),
    "grievance": ("噪音", "环境卫生", "邻里纠纷", "占用公共空间", "安全隐患", "物业服务", "停车", "宠物", "其他投诉"),
    "event": ("报名", "取消报名", "活动咨询"),
    "inquiry": ("证件办理", "社会保障", "缴费", "办事时间", "工单进度", "其他咨询"),
    "other": (),
}

HERE = Path(__file__).resolve().parent
CORPUS_DIR = HERE / "corpus"
TRAIN_TSV = CORPUS_DIR / "train.tsv"
VALIDATION_TSV = CORPUS_DIR / "validation.tsv"
RULES_TOML = CORPUS_DIR / "rules.toml"
MODEL_PATH = Path(os.environ.get("STEWARD_CLASSIFIER_MODEL", HERE / "model" / "classifier.json"))
FEATURES_VERSION = "2"  # bump when features change: the model retrains like after a corpus change
RECHECK_SECONDS = 5.0  # how often a running process looks for a model retrained by another one

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Classification:
    category: str  # one of CATEGORIES
    subcategory: str | None
    confidence: float


@dataclass(frozen=True)
class Rule:
    keywords: tuple[str, ...]
    category: str
    subcategory: str | None
    confidence: float = 0.95
    unless: tuple[str, ...] = ()

    def matches(self, norm: str) -> bool:
        return any(k in norm for k in self.keywords) and not any(u in norm for u in self.unless)


@dataclass(frozen=True)
class Rules:
    replacements: tuple[tuple[str, str], ...]
    lexicon: dict[str, list[str]]
    overrides: tuple[Rule, ...]
    subs: tuple[Rule, ...]


def load_rules(path: Path = RULES_TOML) -> Rules:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Rules((), {}, (), ())

    def rule(d: dict) -> Rule:
        norm = [normalize(k) for k in d["keywords"]]  # keywords are matched on normalised text
        return Rule(
            tuple(k for k in norm if k),
            d["category"],
            d.get("subcategory"),
            float(d.get("confidence", 0.95)),
            tuple(normalize(u) for u in d.get("unless", ()) if normalize(u)),
        )

    reps = tuple((normalize(a), normalize(b)) for a, b in data.get("normalize", {}).items())
    lexicon = {k: [w for w in map(normalize, v) if w] for k, v in data.get("lexicon", {}).items()}
    overrides = tuple(rule(d) for d in data.get("rule", []))
    return Rules(reps, lexicon, overrides, tuple(rule(d) for d in data.get("sub", [])))


def read_tsv(path: Path) -> list[tuple[str, str, str | None]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        parts = line.split("\t")
        text, cat = parts[0], parts[1].strip()
        sub = parts[2].strip() if len(parts) > 2 and parts[2].strip() else None
        rows.append((text, cat, sub))
    return rows


def corpus_digest() -> str:
    h = hashlib.sha1(FEATURES_VERSION.encode())
    # the normalisation is part of the features: a change to it retrains like a corpus change
    for p in (TRAIN_TSV, RULES_TOML, HERE / "normalize.py", HERE / "latin.py"):
        h.update(p.read_bytes() if p.exists() else b"")
    return h.hexdigest()


def train(
    extra: Iterable[tuple[str, str, str | None]] = (), path: Path | None = None
) -> Path:
    """Train from the corpus plus extra labelled examples; write the model file and return its path.

    The extras are kept in the model file so an automatic retrain (corpus changed) keeps them.
    """
    extra = [(t, c, s) for t, c, s in extra if c in CATEGORIES]
    rules = load_rules()
    rows = read_tsv(TRAIN_TSV) + extra
    # extras are the staff's corrections: weigh them as several corpus lines so one example counts
    rows += [r for r in extra for _ in range(4)]
    temperature = _calibrate(rows, rules)
    rows += pinyin_twins(rows[::2])
    model = _fit_main(rows, rules)
    model.temperature = temperature
    X = [model.features(t) for t, _, _ in rows]
    for cat, subs in SUBCATEGORIES.items():
        idx = [i for i, (_, c, s) in enumerate(rows) if c == cat and s in subs]
        if len({rows[i][2] for i in idx}) > 1:
            model.subs[cat] = fit_head([X[i] for i in idx], [rows[i][2] for i in idx], epochs=15)  # type: ignore[misc]
    model.meta = {"corpus": corpus_digest(), "examples": len(rows), "extra": [list(r) for r in extra]}
    path = Path(path or MODEL_PATH)
    model.save(path)
    if path == MODEL_PATH:
        _reset_default()
    return path


def _fit_main(rows: list[tuple[str, str, str | None]], rules: Rules) -> Model:
    model = Model(idf={}, main=None, subs={}, replacements=list(rules.replacements), lexicon=rules.lexicon)  # type: ignore[arg-type]
    model.idf = fit_idf(model.counts(t) for t, _, _ in rows)
    model.main = fit_head([model.features(t) for t, _, _ in rows], [c for _, c, _ in rows], labels=list(CATEGORIES))
    return model


def pinyin_twins(rows: list[tuple[str, str, str | None]]) -> list[tuple[str, str, str | None]]:
    """The lines as toneless pinyin, as a grandchild would type them: the model learns to read the
    syllables alone (otherwise the characters' n-grams take all the weight)."""
    from pypinyin import lazy_pinyin

    out = []
    for text, cat, sub in rows:
        py = " ".join(w for w in lazy_pinyin(normalize(text)) if w.strip())
        if py and py != text:
            out.append((py, cat, sub))
    return out


def _calibrate(rows: list[tuple[str, str, str | None]], rules: Rules) -> float:
    """Fit the softmax temperature on a held-out fifth: probabilities on training lines are overconfident."""
    held = [r for i, r in enumerate(rows) if i % 5 == 2]
    fit = [r for i, r in enumerate(rows) if i % 5 != 2]
    model = _fit_main(fit + pinyin_twins(fit[::2]), rules)  # twins of held-out lines would leak
    probs = [model.main.probs(model.features(t)) for t, _, _ in held]
    return fit_temperature(probs, [CATEGORIES.index(c) for _, c, _ in held])


def load_model(path: Path | None = None) -> Model:
    """Load a model file; the default one is (re)trained first if missing or built from an older corpus."""
    p = Path(path or MODEL_PATH)
    if path is None:
        try:
            model = Model.load(p)
            if model.meta.get("corpus") == corpus_digest():
                return model
            extra = [tuple(r) for r in model.meta.get("extra", [])]
        except (OSError, ValueError, KeyError):
            extra = []
        try:
            train(extra=extra, path=p)
        except OSError:  # read-only install: train into a temp file
            import tempfile

            p = train(extra=extra, path=Path(tempfile.mkdtemp()) / "classifier.json")
    return Model.load(p)


_lock = threading.RLock()  # re-entrant: a first-use retrain resets the cache under it
_state: dict = {"model": None, "rules": None, "mtime": None, "checked": 0.0}


def _reset_default() -> None:
    with _lock:
        _state.update(model=None, rules=None, mtime=None, checked=0.0)


def _default() -> tuple[Model, Rules]:
    now = time.monotonic()
    if _state["model"] is not None and now - _state["checked"] < RECHECK_SECONDS:
        return _state["model"], _state["rules"]
    with _lock:
        try:
            mtime = MODEL_PATH.stat().st_mtime_ns
        except OSError:
            mtime = None
        if _state["model"] is None or mtime != _state["mtime"]:
            _state["model"] = load_model()
            _state["rules"] = load_rules()
            try:
                _state["mtime"] = MODEL_PATH.stat().st_mtime_ns
            except OSError:
                _state["mtime"] = None
        _state["checked"] = now
        return _state["model"], _state["rules"]


def _classify(text: str, model: Model, rules: Rules) -> Classification:
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    norm = normalize(text, model.replacements)
    if not norm:
        return Classification("other", None, 1.0)
    if not norm.replace(EMOJI_MARK, "").strip():  # only emoji
        return Classification("other", None, 0.97)
    feats = model.features(text, norm)
    probs = model.predict(feats)
    best = max(range(len(probs)), key=probs.__getitem__)
    category, confidence = model.main.labels[best], probs[best]
    for r in rules.overrides:
        if r.matches(norm):
            if r.category != category:
                category, confidence = r.category, max(r.confidence, probs[CATEGORIES.index(r.category)])
            if r.subcategory:
                return Classification(category, r.subcategory, round(confidence, 4))
            break
    return Classification(category, _subcategory(category, norm, feats, model, rules), round(confidence, 4))


def _subcategory(category: str, norm: str, feats, model: Model, rules: Rules) -> str | None:
    for r in rules.subs:
        if r.category == category and r.matches(norm):
            return r.subcategory
    head = model.subs.get(category)
    if head is None:
        subs = SUBCATEGORIES.get(category, ())
        return subs[-1] if subs else None
    p = head.probs(feats)
    return head.labels[max(range(len(p)), key=p.__getitem__)]


_recent: Recent[Classification] = Recent()


def classify(text: str) -> Classification:
    """Category, subcategory and confidence of one message. Never raises on a str."""
    try:
        model, rules = _default()
        if not isinstance(text, str):
            return _classify(text, model, rules)
        # the rules are reloaded with the model: the model object stands for both
        return _recent.get(model, text, lambda: _classify(text, model, rules))
    except Exception:  # a classifier failure must not lose a resident's message
        log.exception("classifier failed")
        return Classification("other", None, 0.0)


def classify_with(model: Model, text: str, rules: Rules | None = None) -> Classification:
    """Classify with an explicit model (tests, evaluation, a model trained to a custom path)."""
    return _classify(text, model, rules or load_rules())


def classify_many(texts: Iterable[str]) -> list[Classification]:
    model, rules = _default()
    out = []
    for t in texts:
        try:
            out.append(_classify(t, model, rules))
        except Exception:
            log.exception("classifier failed")
            out.append(Classification("other", None, 0.0))
    return out


def classify_lines(
    lines: Iterable[str], locate: Callable[[str], str | None] | None = None
) -> Iterator[dict]:
    """For the CLI: one dict per non-blank input line, with the courtyard from ``locate``."""
    model, rules = _default()
    for line in lines:
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        c = _classify(text, model, rules)
        yield {
            "text": text,
            "category": c.category,
            "subcategory": c.subcategory,
            "confidence": c.confidence,
            "courtyard": locate(text) if locate else None,
        }
