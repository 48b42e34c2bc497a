from shop.pricing import subtotal


def test_subtotal_multiplies_price_by_quantity():
    items = [{"price": 250, "quantity": 2}, {"price": 100, "quantity": 1}]
    assert subtotal(items) == 600


def test_empty_cart_costs_nothing():
    assert subtotal([]) == 0
