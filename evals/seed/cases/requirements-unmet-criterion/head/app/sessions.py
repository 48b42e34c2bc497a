import time
from collections import defaultdict, deque

from flask import Flask, jsonify, request

from app.users import check_password

app = Flask(__name__)

LIMIT = 5
WINDOW_SECONDS = 60
_attempts = defaultdict(deque)


def _retry_after(ip):
    """Seconds until the oldest attempt of `ip` leaves the window, or 0."""
    now = time.monotonic()
    attempts = _attempts[ip]
    while attempts and now - attempts[0] >= WINDOW_SECONDS:
        attempts.popleft()
    if len(attempts) >= LIMIT:
        return int(WINDOW_SECONDS - (now - attempts[0])) + 1
    attempts.append(now)
    return 0


@app.post("/login")
def login():
    wait = _retry_after(request.remote_addr)
    if wait:
        return jsonify(error="too many attempts"), 429, {"Retry-After": str(wait)}
    body = request.get_json()
    if not check_password(body["user"], body["password"]):
        return jsonify(error="invalid credentials"), 401
    return jsonify(ok=True)
