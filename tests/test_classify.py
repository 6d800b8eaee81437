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
    assert 0.15 <= len(val) / (len(train) + len(val)) <= 0.25
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
