class PaymentProcessor:
    def process_payment(self, payment_id: str):
        payment = self.db.get_payment(payment_id)
        result = self.stripe_client.charge(payment.amount)
        self.db.update_payment(payment_id, result)
        return result
