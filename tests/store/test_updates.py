"""The update log on a real database: polling's inbox and the processed marks."""

from sqlalchemy.engine import Engine

from bot.store.updates import UpdateLog


def test_a_batch_keeps_only_updates_not_processed_before(engine: Engine) -> None:
    log = UpdateLog(engine)
    log.finish(7001)  # handled before a crash, never confirmed to Telegram

    kept = log.receive([{"update_id": 7001}, {"update_id": 7002}])

    assert [u["update_id"] for u in kept] == [7002]
    assert [u["update_id"] for u in log.unfinished()] == [7002]
    assert not log.already_processed(7002)
    log.finish(7002)
    assert log.unfinished() == []


def test_an_update_received_and_handled_is_known_as_processed(engine: Engine) -> None:
    log = UpdateLog(engine)
    log.receive([{"update_id": 7101}])
    assert not log.already_processed(7101)  # from the batch's check
    log.finish(7101)
    # Redelivered after a restart (a new log, nothing remembered): the mark says so.
    assert UpdateLog(engine).already_processed(7101)
    assert log.already_processed(7101)
    assert log.receive([{"update_id": 7101}]) == []
