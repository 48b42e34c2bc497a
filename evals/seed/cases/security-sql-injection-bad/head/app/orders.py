from flask import Flask, jsonify, request

from app.db import get_connection

app = Flask(__name__)


@app.get("/orders")
def list_orders():
    customer = request.args.get("customer", "")
    conn = get_connection()
    rows = conn.execute(
        f"SELECT id, total FROM orders WHERE customer = '{customer}'"
    ).fetchall()
    return jsonify([{"id": r[0], "total": r[1]} for r in rows])
