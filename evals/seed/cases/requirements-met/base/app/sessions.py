from flask import Flask, jsonify, request

from app.users import check_password

app = Flask(__name__)


@app.post("/login")
def login():
    body = request.get_json()
    if not check_password(body["user"], body["password"]):
        return jsonify(error="invalid credentials"), 401
    return jsonify(ok=True)
