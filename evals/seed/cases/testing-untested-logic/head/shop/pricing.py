def subtotal(items):
    """Sum of price x quantity over the cart items."""
    return sum(item["price"] * item["quantity"] for item in items)


def discount(total, code):
    """The discount in cents for a promotion code on a cart total in cents."""
    if code == "WELCOME10":
        return total // 10
    if code == "BULK" and total >= 50_000:
        return 5_000
    if code.startswith("STAFF-"):
        return total // 2
    return 0
