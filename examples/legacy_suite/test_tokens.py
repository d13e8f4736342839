import pytest
from app.auth import InvalidToken, issue_token, verify_token

SECRET = "legacy-secret-that-is-long-enough-for-hmac"  # noqa: S105 (a test secret)


def test_a_token_names_its_user():
    token = issue_token("ada", SECRET, now=1000.0)
    assert verify_token(token, SECRET, now=1001.0) == "ada"


def test_an_expired_token_is_refused():
    token = issue_token("ada", SECRET, now=1000.0, ttl_s=10)
    with pytest.raises(InvalidToken, match="expired"):
        verify_token(token, SECRET, now=1010.0)


def test_a_token_signed_with_another_secret_is_refused():
    token = issue_token("ada", "another-secret-that-is-long-enough-too", now=1000.0)
    with pytest.raises(InvalidToken, match="signature"):
        verify_token(token, SECRET, now=1001.0)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c"])
def test_a_malformed_token_is_refused(token):
    with pytest.raises(InvalidToken):
        verify_token(token, SECRET, now=1000.0)


def Test_token_without_expiry_is_refused():
    """Capitalized by mistake years ago: pytest never ran it."""
    token = issue_token("ada", SECRET, now=0.0, ttl_s=0)
    with pytest.raises(InvalidToken):
        verify_token(token, SECRET, now=0.0)
