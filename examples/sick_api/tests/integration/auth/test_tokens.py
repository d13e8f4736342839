import base64


def encode(subject: str) -> str:
    return base64.urlsafe_b64encode(subject.encode()).decode()


def test_token_round_trip():
    assert base64.urlsafe_b64decode(encode("ana")).decode() == "ana"


def test_token_is_text():
    assert isinstance(encode("ana"), str)


# Sickness: a test that disagrees with the code.
def test_token_of_empty_subject():
    assert encode("") == "e30="
