"""The public board: structured facts per courtyard, text only from staff-approved summaries (scrubbed),
grievances only when published; a corpus of the ways residents write names, phones and rooms."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.clock import utcnow
from bot.web.public import scrub
from tests.workbench_helpers import STAFF, login, make_ticket, post_form

# (text, what must be gone, what must stay)
CORPUS = [
    ("电话13812345678灯坏了", "13812345678", "灯坏了"),
    ("打 138 1234 5678 找我", "1234", "找我"),
    ("座机0371-65551234", "65551234", "座机"),
    ("电话一三八零零一三八零零零", "一三八", "电话"),
    ("壹叁捌零零壹叁捌零零零 请回电", "壹叁捌", "请回电"),
    ("幺三八 零零幺三 八零零零", "幺三八", ""),
    ("1 3 8 0 0 1 3 8 0 0 0", "1 3 8", ""),
    ("１３８００１３８０００ 全角数字", "１３８", "全角数字"),
    ("138.0013.8000", "8000", ""),
    ("3号楼2单元501室漏水", "501", "漏水"),
    ("五栋三单元门口", "五栋", "门口"),
    ("住2-301，水管爆了", "301", "水管爆了"),
    ("六楼东户漏水", "六楼", "漏水"),
    ("我叫王建国，家里停电", "王建国", "停电"),
    ("我叫欧阳建国", "建国", "我叫"),
    ("找王建国 电话一三八零零一三八零零零", "王建国", "找"),
    ("刘秀兰家门口有积水", "刘秀兰", "门口有积水"),
    ("我是张三，楼道灯坏了", "张三", "楼道灯坏了"),
    ("王阿姨家下水道堵了", "王", "下水道堵了"),
    ("李大爷摔倒了", "李", "摔倒了"),
    ("陈卫东师傅已处理", "陈卫东", "已处理"),
    ("王建国反映楼道堆物", "王建国", "楼道堆物"),
    ("联系人：赵丽", "赵丽", "联系人"),
    ("老王家的狗天天叫", "老王", "狗天天叫"),
    ("姓名 司马光", "司马光", ""),
    ("微信号 zhangsan_88 加我", "zhangsan_88", "加我"),
    ("vx：Li-Hua2020", "Li-Hua2020", ""),
    ("wxid_a1b2c3d4e5 发的照片", "wxid_a1b2c3d4e5", "发的照片"),
    ("oAbCdEfGhIjKlMnOpQr 留言", "oAbCdEfGhIjKlMnOpQr", "留言"),
    ("邮箱 wang.jg@example.com", "wang.jg", "邮箱"),
    ("身份证410102195001011234", "1950", "身份证"),
    ("76岁独居老人", "76", "独居老人"),
    ("3号院的路灯", "", "3号院"),  # the courtyard is public
    ("2026年3月的事", "", "2026年3月"),
    ("小区路灯不亮", "", "小区路灯不亮"),
    ("楼院管家回复及时", "", "楼院管家"),
    ("联系方式已告知", "", "联系方式"),
]


@pytest.mark.parametrize("text, gone, kept", CORPUS)
def test_scrub_corpus(text, gone, kept):
    out = scrub(text, limit=100)
    if gone:
        assert gone not in out, out
    assert kept in out, out


def test_scrub_drops_nul_and_limits_length():
    assert "\x00" not in scrub("灯\x00坏了")
    assert scrub("很" * 80, limit=60) == "很" * 60 + "…"


def test_board_shows_facts_not_the_residents_words(client, steward):
    with steward.session() as s:
        make_ticket(s, text="路灯坏了，我在2单元302，76岁了老伴走得早，电话一三八零零一三八零零零",
                    courtyard="c3", status="closed", close_reason="resolved", subcategory="照明",
                    closed_at=utcnow())
        make_ticket(s, text="楼上装修太吵", category="grievance", courtyard="c3")
        make_ticket(s, text="邻居占用楼道堆杂物", category="grievance", courtyard="c3", published=True,
                    public_summary="楼道堆物，已协调清理")
        make_ticket(s, text="上个月的事", courtyard="c3", created_at=utcnow().replace(day=1) - timedelta(days=3))
    html = client.get("/public/").get_data(as_text=True)
    assert "育英街3号院" in html and "报修·照明" in html and "已解决" in html and "办结" in html
    for private in ("路灯坏了", "302", "76", "老伴", "一三八"):
        assert private not in html, private
    assert "装修太吵" not in html and "另有 1 件投诉类事项" in html
    assert "楼道堆物，已协调清理" in html and "邻居占用" not in html
    assert "上个月的事" not in html
    assert "响应率" in html and "满意率" in html


def test_staff_summary_is_scrubbed_on_the_board(client, steward):
    with steward.session() as s:
        ref = make_ticket(s, text="3号楼501王阿姨家漏水", courtyard="c3").ref
    login(client, STAFF)
    resp = post_form(client, f"/staff/t/{ref}", f"/staff/t/{ref}/summary",
                     {"public_summary": "王阿姨家（3号楼501）屋顶漏水，已找人修"})
    assert resp.status_code == 302
    page = client.get(f"/staff/t/{ref}").get_data(as_text=True)
    assert "公示栏上显示为" in page
    html = client.get("/public/").get_data(as_text=True)
    assert "屋顶漏水，已找人修" in html
    assert "王阿姨" not in html and "501" not in html


def test_board_one_courtyard_and_no_login(client, steward):
    with steward.session() as s:
        make_ticket(s, category="repair", courtyard="c5", public_summary="五号院的灯")
        make_ticket(s, category="repair", courtyard="c3", public_summary="三号院的灯")
    html = client.get("/public/?courtyard=c5").get_data(as_text=True)
    assert "五号院的灯" in html and "三号院的灯" not in html


def test_unknown_courtyard_is_404_and_not_cached(client, steward, redis_client):
    for i in range(5):
        assert client.get(f"/public/?courtyard=made-up-{i}").status_code == 404
    assert redis_client.keys("steward:public:*") == []
