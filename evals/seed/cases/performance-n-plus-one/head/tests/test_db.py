from app.db import get_connection


def test_connection_opens():
    conn = get_connection()
    assert conn.execute("SELECT 1").fetchone() == (1,)
