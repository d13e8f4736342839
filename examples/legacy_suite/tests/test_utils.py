"""Named like a test module, holds none: payload builders for openFDA responses."""


def fda_record(k_number, name="catheter", code="dqy", date="2020-01-01"):
    return {"k_number": k_number, "device_name": name, "product_code": code, "decision_date": date}


def fda_payload(*records):
    return {"meta": {"results": {"total": len(records)}}, "results": list(records)}
