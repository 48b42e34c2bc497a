from unittest.mock import Mock

from shop.notify import Notifier


def test_order_shipped_mails_the_customer():
    mailer = Mock()
    Notifier(mailer).order_shipped(Mock(email="a@example.com"))
    mailer.send.assert_called_once_with("a@example.com", "Your order has shipped")
