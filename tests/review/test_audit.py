"""The hash-chained audit log: entries chain, tampering is found at the first bad entry,
the tables refuse edits, and two appenders cannot fork the chain."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from marsad.review import audit
from marsad.store.db import connect
from marsad.store.tables_review import audit_log


@pytest.fixture
def engine(store_url):
    return connect(store_url)


def _fill(engine, n=5):
    with engine.begin() as conn:
        return [audit.append(conn, f"user:u{i}", "decision.harm", f"post:facebook/p{i}",
                             {"reason": "يطابق السياسة", "i": i}) for i in range(n)]


def test_entries_chain_and_verify(engine):
    rows = _fill(engine)
    assert rows[0]["prev_hash"] == audit.GENESIS
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(rows, rows[1:]))
    with engine.connect() as conn:
        assert audit.verify(conn) == (True, None)
        report = audit.verify_report(conn)
        assert report == {"ok": True, "first_bad_id": None, "entries": 5, "head": rows[-1]["hash"]}
        assert audit.head(conn)["id"] == rows[-1]["id"]


def test_an_empty_log_verifies(engine):
    with engine.connect() as conn:
        assert audit.verify(conn) == (True, None)


def test_the_table_refuses_update_and_delete(engine):
    rows = _fill(engine, 2)
    for sql in (f"UPDATE audit_log SET actor = 'user:mallory' WHERE id = {rows[0]['id']}",
                f"DELETE FROM audit_log WHERE id = {rows[1]['id']}"):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text(sql))
    with engine.connect() as conn:
        assert audit.verify(conn) == (True, None)


def _drop_guards(conn):
    """What an attacker with database rights would do first."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("DROP TRIGGER audit_log_no_delete"))
    else:
        conn.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))


@pytest.mark.parametrize("tamper", ["details", "actor", "delete_middle", "swap_time"])
def test_tampering_is_found_at_the_first_bad_entry(engine, tamper):
    rows = _fill(engine)
    target = rows[2]["id"]
    with engine.begin() as conn:
        _drop_guards(conn)
        if tamper == "details":
            conn.execute(audit_log.update().where(audit_log.c.id == target)
                         .values(details=rows[2]["details"].replace("\"i\":2", "\"i\":3")))
        elif tamper == "actor":
            conn.execute(audit_log.update().where(audit_log.c.id == target).values(actor="user:someone-else"))
        elif tamper == "delete_middle":
            conn.execute(audit_log.delete().where(audit_log.c.id == target))
        else:
            conn.execute(audit_log.update().where(audit_log.c.id == target).values(at="2020-01-01T00:00:00.000000Z"))
    with engine.connect() as conn:
        ok, bad = audit.verify(conn)
    assert not ok
    # a changed entry is bad itself; after a deletion the next entry no longer chains
    assert bad == (rows[3]["id"] if tamper == "delete_middle" else target)


def test_a_second_successor_of_one_entry_is_refused(engine):
    """``prev_hash`` is unique: a racing writer that read the same head cannot fork."""
    first = _fill(engine, 1)[0]
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.execute(audit_log.insert().values(at=audit.now_text(), actor="user:x", action="a", subject="s",
                                                   details="{}", prev_hash=first["prev_hash"], hash="f" * 64))
