from unittest.mock import Mock

from shop.notify import Notifier


def test_order_shipped_mails_the_customer():
    mailer = Mock()
    Notifier(mailer).order_shipped(Mock(email="a@example.com"))
    mailer.send.assert_called_once_with("a@example.com", "Your order has shipped")


def test_order_delayed_sends_a_mail():
    mailer = Mock()
    mailer.send.return_value = "queued"
    result = Notifier(mailer).order_delayed(Mock(email="a@example.com"), 2)
    assert result == mailer.send.return_value


def test_order_delayed_zero_days():
    mailer = Mock()
    Notifier(mailer).order_delayed(Mock(email="a@example.com"), 0)
    assert True
