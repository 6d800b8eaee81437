"""Voice as WeChat sends it since 2023 (no Recognition): fetched at once into shared storage, kept
as sent and as a playable copy, heard by the configured transcriber — or by staff (待听取)."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from bot.services.media import audio
from bot.storage.models import Media, MediaBlob, Ticket
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import drain, pushes_to
from tests.workbench_helpers import login

ELDER = "o-elder-voice-0001"


def _upload(live: str, words: str) -> str:
    resp = requests.post(f"{live}/sandbox/voice", json={"words": words}, timeout=5)
    assert resp.status_code == 200
    return resp.json()["media_id"]


def _tickets(steward) -> list[Ticket]:
    with steward.session() as s:
        rows = list(s.scalars(select(Ticket).where(Ticket.resident_openid == ELDER)))
        s.expunge_all()
        return rows


def _voice_row(steward) -> Media:
    with steward.session() as s:
        row = s.scalars(select(Media).where(Media.openid == ELDER)).one()
        s.expunge(row)
        return row


def test_with_no_transcriber_a_person_listens_and_the_resident_has_the_ref(steward_live, live, wechat, client):
    ex = wechat.voice(ELDER, "", media_id=_upload(live, "粮食局家属院2号楼楼道灯坏了"))
    assert ex.status == 200
    [ticket] = _tickets(steward_live)
    assert ticket.ref in ex.text and "听取" in ex.text and "打字" not in ex.text
    drain(steward_live)
    [ticket] = _tickets(steward_live)
    assert ticket.status == "triage" and ticket.subcategory == "待听取"
    row = _voice_row(steward_live)
    assert row.ticket_id == ticket.id and row.status == "stored"
    with steward_live.session() as s:
        blobs = {b.variant: b for b in s.scalars(select(MediaBlob).where(MediaBlob.media_row_id == row.id))}
        assert blobs["original"].content_type == "audio/amr" and blobs["original"].data.startswith(b"#!AMR")
        assert blobs["playable"].content_type == "audio/ogg" and blobs["playable"].data.startswith(b"OggS")
    login(client)
    served = client.get(f"/staff/t/{ticket.ref}/media/{row.id}")
    assert served.status_code == 200 and served.mimetype == "audio/ogg"
    assert audio.duration(served.data) > 1.0  # it decodes: a real recording, not a placeholder
    original = client.get(f"/staff/t/{ticket.ref}/media/{row.id}?v=original")
    assert original.mimetype == "audio/amr" and original.data.startswith(b"#!AMR")
    page = client.get(f"/staff/t/{ticket.ref}").get_data(as_text=True)
    assert "<audio" in page and 'type="audio/ogg"' in page


class TestWithTheSandboxAsr:
    @pytest.fixture
    def overrides(self, web_port: int) -> dict:
        return {"dispatch.retry_intervals": [0, 0, 0], "voice.transcriber": "tencent",
                "voice.tencent_endpoint": f"127.0.0.1:{web_port}/sandbox/asr", "voice.tencent_scheme": "http",
                "voice.tencent_secret_id": "sandbox-id", "voice.tencent_secret_key": "sandbox-key"}

    def test_transcript_becomes_a_ticket_and_the_resident_hears_what_was_understood(self, steward_live, live,
                                                                                      wechat):
        ex = wechat.voice(ELDER, "", media_id=_upload(live, "粮食局家属院2号楼楼道灯坏了"))
        assert ex.status == 200 and "正在听取" in ex.text and not _tickets(steward_live)
        drain(steward_live)
        [ticket] = _tickets(steward_live)
        assert ticket.category == "repair" and ticket.courtyard_id == "c3" and "楼道灯" in ticket.text
        row = _voice_row(steward_live)
        assert row.ticket_id == ticket.id and row.transcript == "粮食局家属院2号楼楼道灯坏了"
        told = [m for m in pushes_to(steward_live, ELDER) if "您说的是" in str(m)]
        assert len(told) == 1 and told[0]["kind"] == "custom"
        assert told[0]["text"].startswith("您说的是：粮食局家属院2号楼楼道灯坏了。") and ticket.ref in told[0]["text"]

    def test_nothing_heard_goes_to_staff_with_the_audio(self, steward_live, live, wechat, steward):
        media_id = "voice-unknown-1"  # the sandbox serves a tone it has no words for
        assert wechat.voice(ELDER, "", media_id=media_id).status == 200
        drain(steward_live)
        [ticket] = _tickets(steward_live)
        assert ticket.status == "triage" and ticket.subcategory == "待听取"
        assert _voice_row(steward_live).ticket_id == ticket.id
        told = [m for m in pushes_to(steward_live, ELDER) if ticket.ref in str(m)]
        assert told and "听取" in str(told[-1]) and "打字" not in str(told[-1])

    def test_a_retried_job_hears_it_once(self, steward_live, live, wechat):
        from bot.services.inbound.media_fetch import download_media

        wechat.voice(ELDER, "", media_id=_upload(live, "3号院下水道堵了 污水漫出来了"))
        drain(steward_live)
        row = _voice_row(steward_live)
        assert download_media(steward_live, row.id) == "stored"
        assert len(_tickets(steward_live)) == 1


def test_recognition_from_an_older_account_is_used(steward_live, live, wechat):
    ex = wechat.voice(ELDER, "粮食局家属院2号楼楼道灯坏了", media_id=_upload(live, "x"))
    [ticket] = _tickets(steward_live)
    assert ticket.category == "repair" and ticket.ref in ex.text


def test_expired_upload_is_40007_and_the_row_failed(steward_live, live, wechat):
    wechat.voice(ELDER, "", media_id="sbx_voice_gone")
    drain(steward_live)
    row = _voice_row(steward_live)
    assert row.status == "failed" and "40007" in row.error


@pytest.mark.parametrize("store", ["database", "directory"])
def test_media_served_from_shared_storage_never_joined_twice(store, steward_live, live, wechat, client, tmp_path,
                                                              monkeypatch):
    from dataclasses import replace

    monkeypatch.chdir(tmp_path)  # a relative media dir, as under `make dev`
    steward_live.config = replace(steward_live.config, media=replace(steward_live.config.media, store=store,
                                                                     dir="var/media"))
    wechat.text(ELDER, "粮食局家属院2号楼楼道灯坏了")
    wechat.image(ELDER, "img-after-report")
    drain(steward_live)
    with steward_live.session() as s:
        row = s.scalars(select(Media).where(Media.kind == "image")).one()
        ref = s.get(Ticket, row.ticket_id).ref
    login(client)
    resp = client.get(f"/staff/t/{ref}/media/{row.id}")
    assert resp.status_code == 200 and resp.mimetype == "image/png" and resp.data.startswith(b"\x89PNG")
    assert (tmp_path / "var/media").exists() == (store == "directory")


class TestLowConfidence:
    @pytest.fixture
    def overrides(self, web_port: int) -> dict:
        return {"dispatch.retry_intervals": [0, 0, 0], "voice.transcriber": "tencent", "voice.min_confidence": 1.0,
                "voice.tencent_endpoint": f"127.0.0.1:{web_port}/sandbox/asr", "voice.tencent_scheme": "http",
                "voice.tencent_secret_id": "sandbox-id", "voice.tencent_secret_key": "sandbox-key"}

    def test_an_unsure_transcript_goes_to_staff_with_the_audio_and_the_words(self, steward_live, live, wechat):
        wechat.voice(ELDER, "", media_id=_upload(live, "粮食局家属院2号楼楼道灯坏了"))
        drain(steward_live)
        [ticket] = _tickets(steward_live)
        assert ticket.status == "triage" and ticket.subcategory == "待听取"
        row = _voice_row(steward_live)
        assert row.ticket_id == ticket.id and row.transcript == "粮食局家属院2号楼楼道灯坏了"


class TestMisconfiguredLocalModel:
    @pytest.fixture
    def overrides(self, tmp_path) -> dict:
        return {"dispatch.retry_intervals": [0, 0, 0], "voice.transcriber": "local",
                "voice.local_model_dir": str(tmp_path / "no-such-model")}

    def test_no_model_means_a_person_listens(self, steward_live, live, wechat):
        wechat.voice(ELDER, "", media_id=_upload(live, "3号院下水道堵了"))
        drain(steward_live)
        [ticket] = _tickets(steward_live)
        assert ticket.subcategory == "待听取" and _voice_row(steward_live).ticket_id == ticket.id


def test_local_model_when_the_operator_installed_one():
    """Runs only where faster-whisper and a model directory are installed (nothing is downloaded)."""
    import os

    from bot.config import VoiceSettings
    from bot.services.media import transcribe

    model = os.environ.get("STEWARD_TEST_WHISPER_MODEL", "")
    pytest.importorskip("faster_whisper")
    if not model or not os.path.isdir(model):
        pytest.skip("STEWARD_TEST_WHISPER_MODEL (a faster-whisper model directory) is not set")
    t = transcribe.make(VoiceSettings(transcriber="local", local_model_dir=model))
    heard = t.transcribe(audio.amr_tone(1.0), "amr")
    assert heard is None or 0.0 <= heard.confidence <= 1.0


def test_several_short_voices_go_to_one_ticket_for_listening(steward_live, live, wechat):
    first = wechat.voice(ELDER, "", media_id=_upload(live, "俺家"))
    second = wechat.voice(ELDER, "", media_id=_upload(live, "水管漏了"))
    drain(steward_live)
    [ticket] = _tickets(steward_live)
    assert ticket.ref in first.text and ticket.ref in second.text
    with steward_live.session() as s:
        assert len(s.scalars(select(Media).where(Media.ticket_id == ticket.id)).all()) == 2


def test_a_voice_right_after_a_report_is_added_to_it(steward_live, live, wechat):
    typed = wechat.text(ELDER, "粮食局家属院2号楼楼道灯坏了")
    [ticket] = _tickets(steward_live)
    assert ticket.ref in typed.text
    spoken = wechat.voice(ELDER, "", media_id=_upload(live, "灯在三楼"))
    assert ticket.ref in spoken.text and "补充" in spoken.text
    drain(steward_live)
    assert len(_tickets(steward_live)) == 1
    assert _voice_row(steward_live).ticket_id == ticket.id
