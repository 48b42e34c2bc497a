from app.orders import app


def test_lists_only_the_customers_orders(seeded_db):
    client = app.test_client()
    response = client.get("/orders?customer=alice")
    assert response.status_code == 200
    assert response.get_json() == [{"id": 1, "total": 30}]


def test_quotes_in_the_name_are_data(seeded_db):
    client = app.test_client()
    response = client.get("/orders?customer=x' OR '1'='1")
    assert response.get_json() == []
