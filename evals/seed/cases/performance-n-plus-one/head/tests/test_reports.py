from app.reports import revenue_by_customer


def test_revenue_sums_each_customers_orders(seeded_db):
    assert revenue_by_customer() == [
        {"customer": "alice", "revenue": 30},
        {"customer": "bob", "revenue": 0},
    ]
