import time

from payments.errors import DatabaseError, StripeAPIError


class PaymentProcessor:
    def __init__(self, metrics_client, logger, alert_manager):
        self.metrics = metrics_client
        self.logger = logger
        self.alerts = alert_manager

    def process_payment(self, payment_id: str):
        start_time = time.time()

        try:
            # Increment payment attempt counter
            self.metrics.increment('payment.attempts')

            payment = self.db.get_payment(payment_id)

            # Track payment amount for analytics
            self.metrics.gauge('payment.amount', payment.amount)

            result = self.stripe_client.charge(payment.amount)

            # Record success
            self.metrics.increment('payment.success')
            self.logger.info(f'Payment processed', extra={
                'payment_id': payment_id,
                'amount': payment.amount,
                'duration_ms': (time.time() - start_time) * 1000
            })

            self.db.update_payment(payment_id, result)
            return result

        except StripeAPIError as e:
            # Track API failures
            self.metrics.increment('payment.stripe_api_error')

            # Alert if error rate exceeds threshold
            if self.metrics.get_rate('payment.stripe_api_error') > 0.05:
                self.alerts.trigger({
                    'severity': 'high',
                    'title': 'High Stripe API Error Rate',
                    'description': f'Error rate: {error_rate}%',
                    'runbook': 'https://wiki.company.com/runbooks/stripe-errors'
                })

            self.logger.error(f'Stripe API error', extra={
                'payment_id': payment_id,
                'error': str(e),
                'error_code': e.code
            })
            raise

        except DatabaseError as e:
            # Track database failures
            self.metrics.increment('payment.database_error')

            # Critical alert - database issues affect all payments
            self.alerts.trigger({
                'severity': 'critical',
                'title': 'Payment Database Error',
                'description': 'Cannot access payment database',
                'runbook': 'https://wiki.company.com/runbooks/db-errors'
            })

            self.logger.error(f'Database error', extra={
                'payment_id': payment_id,
                'error': str(e)
            })
            raise

        finally:
            # Always track processing time
            duration_ms = (time.time() - start_time) * 1000
            self.metrics.histogram('payment.duration', duration_ms)

            # Alert if processing is too slow
            if duration_ms > 5000:  # 5 seconds
                self.alerts.trigger({
                    'severity': 'medium',
                    'title': 'Slow Payment Processing',
                    'description': f'Payment took {duration_ms}ms',
                    'payment_id': payment_id
                })
