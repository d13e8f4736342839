from app.predicates import parse_openfda
from tests.test_utils import fda_payload, fda_record


def test_records_are_sorted_newest_first():
    payload = fda_payload(
        fda_record("K111111", date="2019-05-01"), fda_record("K222222", date="2021-02-03")
    )
    predicates = parse_openfda(payload)
    assert [p.k_number for p in predicates] == ["K222222", "K111111"]


def test_device_names_are_title_cased():
    payload = fda_payload(fda_record("K111111", name="  balloon catheter "))
    predicates = parse_openfda(payload)
    assert predicates[0].device_name == "Balloon Catheter"


def test_product_codes_are_upper_cased():
    payload = fda_payload(fda_record("K111111", code="dqy"))
    predicates = parse_openfda(payload)
    assert predicates[0].product_code == "DQY"


def test_product_codes_are_upper_cased_for_other_codes():
    payload = fda_payload(fda_record("K333333", code="lit"))
    predicates = parse_openfda(payload)
    assert predicates[0].product_code == "LIT"


def test_records_without_a_k_number_are_skipped():
    payload = fda_payload(fda_record(""), fda_record("K111111"))
    assert [p.k_number for p in parse_openfda(payload)] == ["K111111"]
