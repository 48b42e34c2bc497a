"""Database access for the shop API."""
import sqlite3

DB_PATH = "shop.db"


def get_connection():
    return sqlite3.connect(DB_PATH)
