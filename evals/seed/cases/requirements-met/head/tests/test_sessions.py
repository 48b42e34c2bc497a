from app.sessions import app


def login(client, ip="10.0.0.1"):
    return client.post(
        "/login",
        json={"user": "alice", "password": "wrong"},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_sixth_attempt_in_a_minute_is_limited():
    client = app.test_client()
    for _ in range(5):
        assert login(client).status_code == 401
    limited = login(client)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


def test_other_addresses_are_not_limited():
    client = app.test_client()
    for _ in range(5):
        login(client, ip="10.0.0.2")
    assert login(client, ip="10.0.0.3").status_code == 401


def test_limit_comes_from_the_environment(monkeypatch):
    import importlib

    import app.sessions

    monkeypatch.setenv("LOGIN_RATE_LIMIT", "2")
    module = importlib.reload(app.sessions)
    assert module.LIMIT == 2
