import socket
import sqlite3


def test_sqlite_round_trip():
    db = sqlite3.connect(":memory:")
    db.execute("create table devices (code text)")
    db.execute("insert into devices values ('DQY')")
    assert db.execute("select code from devices").fetchall() == [("DQY",)]


# Sickness: a fixture from a test helper that no longer exists.
def test_creates_a_device(test_db_manager):
    assert test_db_manager.create("DQY")


def test_lists_devices(test_db_manager):
    assert test_db_manager.list() == []


# Sickness: tests that need a shared database server that is not running.
def test_shared_server_is_up():
    socket.create_connection(("127.0.0.1", 1), timeout=2).close()
