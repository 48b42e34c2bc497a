class Notifier:
    def __init__(self, mailer):
        self.mailer = mailer

    def order_shipped(self, order):
        return self.mailer.send(order.email, "Your order has shipped")

    def order_delayed(self, order, days):
        if days <= 0:
            return None
        subject = f"Your order is delayed by {days} day{'s' if days > 1 else ''}"
        return self.mailer.send(order.email, subject)
