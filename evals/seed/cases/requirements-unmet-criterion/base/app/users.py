import hmac

_USERS = {"alice": "correct horse"}


def check_password(user, password):
    expected = _USERS.get(user)
    return expected is not None and hmac.compare_digest(expected, password)
