class Notifier:
    def __init__(self, mailer):
        self.mailer = mailer

    def order_shipped(self, order):
        return self.mailer.send(order.email, "Your order has shipped")
