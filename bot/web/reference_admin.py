"""常见问题 and 外部单位 (staff and admins): FAQ entries (question keywords, places, answer) and outside
parties (name, WeChat openid, the subcategories they hear of) added, edited, removed — through
bot.services.community.reference, checked as the config is and written to the audit log. The bot's
next answer and the next dispatch notice use them."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import runtime
from bot.config import Config
from bot.services.community import reference
from bot.services.community.members import DirectoryError
from bot.web.audit_page import actor
from bot.web.auth import require_login

bp = Blueprint("reference_admin", __name__, url_prefix="/admin")
require_login(bp, "admin", "staff")


def _split(raw: str | None) -> tuple[str, ...]:
    text = (raw or "").replace("，", ",").replace("、", ",").replace("\n", ",")
    return tuple(p.strip() for p in text.split(",") if p.strip())


def _faq_input() -> reference.FaqInput:
    f = request.form
    return reference.FaqInput(patterns=_split(f.get("patterns")), places=_split(f.get("places")),
                              answer=f.get("answer", ""))


def _party_input() -> reference.PartyInput:
    f = request.form
    return reference.PartyInput(name=f.get("name", ""), openid=f.get("openid", ""),
                                subcategories=_split(f.get("subcategories")))


def _run(done: str, target: str, change: Callable[[Session, Config], object]):  # noqa: ANN202
    """`change(session, config)` in one transaction; its refusal is shown, never a 500."""
    steward = runtime.current()
    try:
        with steward.session() as s:
            change(s, steward.file_config)
        flash(done, "ok")
    except DirectoryError as exc:
        flash(str(exc), "error")
    except IntegrityError:  # two people added the same key at once: the second is refused
        flash("刚才有人同时修改了同一项，请刷新后再试", "error")
    return redirect(url_for(target))


def _who() -> dict:
    return {"actor": actor(), "address": request.remote_addr}


@bp.get("/faq")
def faq():  # noqa: ANN201
    steward = runtime.current()
    with steward.session() as s:
        rows = [{"id": r.id, "patterns": "，".join(r.patterns or []), "places": "，".join(r.places or []),
                 "answer": r.answer} for r in reference.list_faq(s, steward.file_config)]
    return render_template("web/admin_faq.html", entries=rows, answer_max=reference.ANSWER_MAX)


@bp.post("/faq")
def faq_add():  # noqa: ANN201
    data = _faq_input()
    return _run("已添加；居民下一次问到就这样回答", "reference_admin.faq",
                lambda s, cfg: reference.add_faq(s, cfg, data, **_who()))


@bp.post("/faq/<int:faq_id>")
def faq_save(faq_id: int):  # noqa: ANN201
    data = _faq_input()
    return _run("已保存", "reference_admin.faq", lambda s, cfg: reference.update_faq(s, cfg, faq_id, data, **_who()))


@bp.post("/faq/<int:faq_id>/remove")
def faq_remove(faq_id: int):  # noqa: ANN201
    return _run("已删除", "reference_admin.faq", lambda s, cfg: reference.remove_faq(s, cfg, faq_id, **_who()))


@bp.get("/outside")
def outside():  # noqa: ANN201
    steward = runtime.current()
    with steward.session() as s:
        rows = [{"key": p.key, "name": p.name, "openid": p.openid, "subcategories": p.subcategories.replace(",", "，")}
                for p in reference.list_parties(s, steward.file_config)]
    return render_template("web/admin_outside.html", parties=rows)


@bp.post("/outside")
def party_add():  # noqa: ANN201
    data, key = _party_input(), request.form.get("key", "")
    return _run("已添加", "reference_admin.outside", lambda s, cfg: reference.add_party(s, cfg, key, data, **_who()))


@bp.post("/outside/<key>")
def party_save(key: str):  # noqa: ANN201
    data = _party_input()
    return _run("已保存；下一次派单起按新的联系方式通知", "reference_admin.outside",
                lambda s, cfg: reference.update_party(s, cfg, key, data, **_who()))


@bp.post("/outside/<key>/remove")
def party_remove(key: str):  # noqa: ANN201
    return _run("已删除", "reference_admin.outside", lambda s, cfg: reference.remove_party(s, cfg, key, **_who()))
