from app.db import get_connection


def revenue_by_customer():
    """Total order value per customer, for the admin revenue page."""
    conn = get_connection()
    customers = conn.execute("SELECT id, name FROM customers").fetchall()
    report = []
    for customer_id, name in customers:
        total = conn.execute(
            "SELECT COALESCE(SUM(total), 0) FROM orders WHERE customer_id = ?",
            (customer_id,),
        ).fetchone()[0]
        report.append({"customer": name, "revenue": total})
    return report
