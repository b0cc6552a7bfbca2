from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.store.content_files import read_content
from bot.store.lookup import ContentSnapshot, ContentStore, distance_km
from bot.store.sync import sync_content
from tests.helpers.content import copy_content


def snapshot(engine: Engine) -> ContentSnapshot:
    with Session(engine) as session:
        return ContentSnapshot.load(session)


def test_answer_in_the_persons_language_with_province_services_first(published: Engine) -> None:
    answer = snapshot(published).answer_for("housing_reception_system", "ar", "sondrio")
    assert answer is not None and answer.language == "ar" and not answer.fell_back
    assert answer.services and answer.services[0].province == "sondrio"
    assert answer.hotlines and answer.verified_on and answer.sources


def test_language_falls_back_to_english_then_italian(published: Engine) -> None:
    snap = snapshot(published)
    answer = snap.answer_for("legal_citizenship", "ti", "milano")
    assert answer is not None and answer.language == "en" and answer.fell_back
    assert snap.answer_for("legal_citizenship", "ti", None, second_language="fr").language == "fr"  # type: ignore[union-attr]


def test_italian_is_the_last_fallback(engine: Engine, tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    path = content / "topics" / "legal" / "legal_citizenship.yml"
    text = path.read_text()
    start = text.index("\n  en:")
    end = text.index("\n  fr:")
    path.write_text(text[:start] + text[end:])
    with Session(engine) as session:
        sync_content(session, read_content(content), author="t")
    answer = snapshot(engine).answer_for("legal_citizenship", "ti", None)
    assert answer is not None and answer.language == "it"


def test_unknown_topic_has_no_answer(published: Engine) -> None:
    assert snapshot(published).answer_for("cooking", "it", None) is None


def test_safety_topics_carry_their_hotlines_in_priority_order(published: Engine) -> None:
    answer = snapshot(published).answer_for("trafficking_forced_labour", "wo", None)
    assert answer is not None and answer.language == "wo"
    numbers = [h.number for h in answer.hotlines]
    assert numbers[:2] == ["112", "800 290 290"]


def test_nearest_services_by_distance(published: Engine) -> None:
    # Milano Centrale station
    nearest = snapshot(published).nearest_services(45.4861, 9.2046, limit=3)
    assert nearest and nearest[0][1] < 3.0
    assert [km for _, km in nearest] == sorted(km for _, km in nearest)


def test_distance() -> None:
    assert abs(distance_km(45.4642, 9.1900, 45.6983, 9.6773) - 45.0) < 3  # Milano–Bergamo


def test_store_refreshes_only_after_a_new_sync(engine: Engine, tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    with Session(engine) as session:
        sync_content(session, read_content(content), author="t")
    store = ContentStore(snapshot(engine))
    with Session(engine) as session:
        assert store.refresh(session) is False
    path = content / "topics" / "legal" / "legal_citizenship.yml"
    path.write_text(path.read_text().replace("sensitivity: green", "sensitivity: yellow"))
    with Session(engine) as session:
        sync_content(session, read_content(content), author="t")
        assert store.refresh(session) is True
    assert store.snapshot.topics["legal_citizenship"].sensitivity == "yellow"
