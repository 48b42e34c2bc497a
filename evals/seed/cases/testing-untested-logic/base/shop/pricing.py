def subtotal(items):
    """Sum of price x quantity over the cart items."""
    return sum(item["price"] * item["quantity"] for item in items)
