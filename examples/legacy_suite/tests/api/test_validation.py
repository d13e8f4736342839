from app.api import validate_payload


def test_a_valid_payload_has_no_errors():
    assert validate_payload({"name": "Stent", "product_codes": ["DQY"]}) == []


def test_a_payload_must_be_an_object():
    assert validate_payload(None) == ["body must be a JSON object"]


def test_product_codes_have_three_letters():
    assert validate_payload({"name": "Stent", "product_codes": ["DQYX"]}) == [
        "product_codes must be three-letter codes"
    ]
