"""Message classifier: accuracy on the held-out validation set, realistic messages, robustness."""

from __future__ import annotations

from collections import Counter

import pytest

from handlers import classify as clf
from handlers.classify import CATEGORIES, SUBCATEGORIES, Classification


@pytest.fixture(scope="module")
def model():
    return clf.load_model()


@pytest.fixture(scope="module")
def rules():
    return clf.load_rules()


def test_corpus_is_well_formed():
    train = clf.read_tsv(clf.TRAIN_TSV)
    val = clf.read_tsv(clf.VALIDATION_TSV)
    for rows in (train, val):
        for text, cat, sub in rows:
            assert cat in CATEGORIES, text
            assert sub is None if cat == "other" else sub in SUBCATEGORIES[cat], text
    counts = Counter(c for _, c, _ in train + val)
    assert all(counts[c] >= 400 for c in CATEGORIES), counts
    # 10–25 %: the validation set stays fixed while the corpus grows with new authors' lines
    assert 0.10 <= len(val) / (len(train) + len(val)) <= 0.25
    # the validation set must never leak into training
    assert not {t for t, _, _ in val} & {t for t, _, _ in train}


def test_validation_accuracy_and_recall(model, rules):
    rows = clf.read_tsv(clf.VALIDATION_TSV)
    preds = [clf.classify_with(model, t, rules) for t, _, _ in rows]
    correct = [p.category == c for p, (_, c, _) in zip(preds, rows, strict=True)]
    accuracy = sum(correct) / len(rows)
    assert accuracy >= 0.95, f"validation accuracy {accuracy:.3f}"
    for cat in CATEGORIES:
        hits = [ok for ok, (_, c, _) in zip(correct, rows, strict=True) if c == cat]
        recall = sum(hits) / len(hits)
        assert recall >= 0.90, f"recall of {cat}: {recall:.3f}"


REALISTIC = [
    ("俺们粮食局家属院4号楼的楼道灯黑了三天了 恁给看看中不中", "repair", "照明"),
    ("恁好 俺家楼下那个下水道又堵上了 臭得很 咋弄啊", "repair", "给排水"),
    ("电梯卡在五楼不动了 俺家老头子腿不好", "repair", "电梯"),
    ("车棚那几个充电桩扫了码也不出电", "repair", "充电设施"),
    ("有人从六楼窗户扯电线下来充电瓶车 太吓人了", "grievance", "安全隐患"),
    ("楼上那家半夜还在剁排骨 咣咣响 俺一宿睡不着", "grievance", "噪音"),
    ("垃圾三四天没人拉了 都臭了😷", "grievance", "环境卫生"),
    ("俺想报名那个健康讲座 俺跟老伴俩人", "event", "报名"),
    ("周六那个去博物馆的 俺去不成了", "event", "取消报名"),
    ("老年证咋办 要带啥东西", "inquiry", "证件办理"),
    ("暖气费今年还在老地方交不", "inquiry", "缴费"),
    ("我报的修咋样了 都三天了", "inquiry", "工单进度"),
    ("谢谢你们 灯修好了👍", "other", None),
    ("👍", "other", None),
    ("早上好 各位", "other", None),
]


@pytest.mark.parametrize(("text", "category", "subcategory"), REALISTIC)
def test_realistic_messages(model, rules, text, category, subcategory):
    c = clf.classify_with(model, text, rules)
    assert (c.category, c.subcategory) == (category, subcategory), c


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "\u3000"])
def test_empty_is_other_and_sure(text):
    assert clf.classify(text) == Classification("other", None, 1.0)


ODD = [
    "楼道灯坏了" * 2000,
    "\x00\x01\x02\x1b[31m\x7f",
    "<script>alert('x')</script><p>下水道堵了</p>",
    "\ud800",  # a lone surrogate
    "ＡＢＣ１２３！＠＃",
    "🏠" * 5000,
    "a" * 10000,
    "[微笑][微笑]",
    "\u200b\ufeff",
]


@pytest.mark.parametrize("text", ODD)
def test_odd_input_never_raises(text):
    c = clf.classify(text)
    assert c.category in CATEGORIES
    assert 0.0 <= c.confidence <= 1.0
    assert c.subcategory is None or c.subcategory in SUBCATEGORIES[c.category]


def test_fullwidth_is_normalised(model, rules):
    assert clf.classify_with(model, "楼道灯坏了！！", rules).category == "repair"
    assert clf.classify_with(model, "３号楼楼道灯坏了", rules).category == "repair"


def test_classify_many_and_lines():
    texts = ["下水道堵了", "", "我要报名看电影"]
    assert [c.category for c in clf.classify_many(texts)] == ["repair", "other", "event"]
    rows = list(clf.classify_lines(["3号院楼道灯不亮\n", "\n", "谢谢"], locate=lambda t: "3号院" if "3号院" in t else None))
    assert [r["text"] for r in rows] == ["3号院楼道灯不亮", "谢谢"]
    assert rows[0]["category"] == "repair" and rows[0]["courtyard"] == "3号院"
    assert rows[1]["courtyard"] is None
    assert set(rows[0]) == {"text", "category", "subcategory", "confidence", "courtyard"}


def test_confidence_is_lower_for_ambiguous_text(model, rules):
    sure = clf.classify_with(model, "楼道灯坏了 麻烦来修一下", rules).confidence
    vague = clf.classify_with(model, "那个事儿", rules).confidence
    assert sure > 0.8 and vague < sure


def test_train_load_round_trip(tmp_path, model, rules):
    path = clf.train(path=tmp_path / "m.json")
    loaded = clf.load_model(path)
    for text in ["楼道灯坏了", "有人飞线充电", "我要报名", "低保咋申请", "你好"]:
        assert clf.classify_with(loaded, text, rules).category == clf.classify_with(model, text, rules).category


def test_extra_examples_change_the_prediction(tmp_path, rules):
    text = "咕噜咕噜小火车开进了俺院"
    base = clf.load_model()
    assert clf.classify_with(base, text, rules).category != "event"
    path = clf.train(extra=[(text, "event", "报名")], path=tmp_path / "m.json")
    trained = clf.load_model(path)
    c = clf.classify_with(trained, text, rules)
    assert (c.category, c.subcategory) == ("event", "报名")
    assert trained.meta["extra"] == [[text, "event", "报名"]]


# Issue 13: messages from new authors — indirect and mixed, traditional characters, pinyin, English.
ISSUE_13 = [
    ("为啥别的院都给装了充电桩，俺们院就木有？", "grievance"),  # a complaint, not a repair
    ("有没有人管管这个路灯啊 天天黑着", "repair"),
    ("俺住供电局家属院，停水停电的通知在哪能看着", "inquiry"),
    ("恁们这回办事咋恁快", "other"),  # praise
    ("暖气不热，屋里才十五度", "repair"),
    ("社区电话多少", "inquiry"),
    ("社区卫生服务站周末开门不？", "inquiry"),
    ("糧食局家屬院樓道燈壞了", "repair"),
    ("bu dong chan zheng zen me ban", "inquiry"),
    ("the stairwell light on 3rd floor is broken pls fix", "repair"),
    ("水利院的门禁卡刷不开", "repair"),
    ("供电院3单元那个大门的锁芯坏了", "repair"),
    ("书店家属院单元门的对讲坏了", "repair"),
    ("邮电院包饺子的活动俺想报名", "event"),
]


@pytest.mark.parametrize(("text", "category"), ISSUE_13)
def test_issue_13_messages(model, rules, text, category):
    c = clf.classify_with(model, text, rules)
    assert c.category == category, c
    assert c.confidence >= 0.55, c  # sure enough to act on without the menu (dialogue threshold)


def test_pinyin_reads_like_its_characters(model, rules):
    for py, zh in [("lou dao deng huai le", "楼道灯坏了"), ("wo xiang bao ming shu fa ban", "我想报名书法班"),
                   ("lou shang tian tian zhuang xiu tai chao le", "楼上天天装修太吵了"),
                   ("di bao zen me shen qing", "低保怎么申请"), ("xie xie ni men", "谢谢你们")]:
        a, b = clf.classify_with(model, py, rules), clf.classify_with(model, zh, rules)
        assert a.category == b.category, (py, a, b)


# Evaluation sets by authors who had not seen the corpus (handlers/corpus/README.md): never trained on.
BLIND_SETS = ("stranger.tsv", "holdout.tsv", "holdout2.tsv", "holdout3.tsv")


def _blind_rows(name: str) -> list[list[str]]:
    text = (clf.CORPUS_DIR / name).read_text(encoding="utf-8")
    return [ln.split("\t") for ln in text.splitlines() if ln.strip()]


@pytest.mark.parametrize("name", BLIND_SETS)
def test_blind_sets_are_never_trained_on(name: str):
    """Evaluation only, so no line of a blind set may be in the training corpus."""
    stranger = clf.CORPUS_DIR / name
    lines = [ln.split("\t") for ln in stranger.read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert len(lines) >= 200 and all(len(p) == 3 and p[1] in CATEGORIES for p in lines)
    train = {t for t, _, _ in clf.read_tsv(clf.TRAIN_TSV)}
    # short everyday lines (你好, 灯不亮, 测试) were in both before the set was written; nothing longer
    shared = {p[0] for p in lines} & train
    assert all(len(t) <= 12 for t in shared), sorted(shared, key=len)[-3:]


@pytest.mark.parametrize("name", BLIND_SETS)
def test_blind_set_courtyards(name: str):
    """Courtyard found in >= 98 % of the lines that name one; wrong in <= 1 % of the rest."""
    from bot.config import load
    from handlers.courtyard import locate

    yards = load("config.example.toml").courtyards
    rows = _blind_rows(name)
    named = [(p[0], p[2]) for p in rows if p[2]]
    found = sum(locate(t, yards) == y for t, y in named) / len(named)
    unnamed = [p[0] for p in rows if not p[2]]
    wrong = sum(locate(t, yards) is not None for t in unnamed) / len(unnamed)
    assert found >= 0.98 and wrong <= 0.01, (found, wrong)


def test_blind_and_validation_floor(model, rules):
    """Issue 13's floor on every evaluation set: accuracy >= 97 %, every category's recall >= 93 %."""
    sets = {name: [(p[0], p[1]) for p in _blind_rows(name)] for name in BLIND_SETS}
    sets["validation"] = [(t, c) for t, c, _ in clf.read_tsv(clf.VALIDATION_TSV)]
    for name, rows in sets.items():
        ok = [clf.classify_with(model, t, rules).category == c for t, c in rows]
        assert len(rows) >= 200, name
        assert sum(ok) / len(ok) >= 0.97, (name, sum(ok) / len(ok))
        for cat in CATEGORIES:
            hits = [k for k, (_, c) in zip(ok, rows, strict=True) if c == cat]
            assert sum(hits) / len(hits) >= 0.93, (name, cat, sum(hits) / len(hits))
