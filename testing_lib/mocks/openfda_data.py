"""openFDA device data as the API sends it: 510(k) clearances, classifications, envelopes.

Shapes follow `https://api.fda.gov/device/510k.json` and `/device/classification.json`:
`{"meta": {..., "results": {"skip", "limit", "total"}}, "results": [...]}`, and errors as
`{"error": {"code": "NOT_FOUND", "message": "No matches found!"}}`. The default data set is
deterministic (same records every run) and spans several product codes and panels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

LAST_UPDATED: Final = "2024-05-31"


@dataclass(frozen=True)
class DeviceType:
    product_code: str
    device_name: str
    device_class: str
    regulation_number: str
    panel: str  # review advisory committee code
    specialty: str


DEVICE_TYPES: Final[tuple[DeviceType, ...]] = (
    DeviceType("DQY", "Catheter, Percutaneous", "2", "870.1250", "CV", "Cardiovascular"),
    DeviceType(
        "LOX",
        "Catheter, Angioplasty, Coronary, Transluminal, Percutaneous",
        "2",
        "870.5100",
        "CV",
        "Cardiovascular",
    ),
    DeviceType(
        "DXN",
        "System, Measurement, Blood-Pressure, Non-Invasive",
        "2",
        "870.1130",
        "CV",
        "Cardiovascular",
    ),
    DeviceType("FRN", "Pump, Infusion", "2", "880.5725", "HO", "General Hospital"),
    DeviceType("LLZ", "System, Image Processing, Radiological", "2", "892.2050", "RA", "Radiology"),
    DeviceType(
        "QAS",
        "Radiological Computer-Assisted Triage And Notification Software",
        "2",
        "892.2080",
        "RA",
        "Radiology",
    ),
)

_APPLICANTS: Final = (
    ("Acme Cardiovascular, Inc.", "Minneapolis", "MN", "55401", "US"),
    ("Northwind Medical Systems", "Boston", "MA", "02110", "US"),
    ("Helix Infusion Technologies GmbH", "Munich", "", "80331", "DE"),
    ("Contoso Imaging Ltd.", "Cambridge", "", "CB2 1TN", "GB"),
)
_MODELS: Final = ("", " Pro", " XL", " Mini", " II")


def clearance_record(
    k_number: str,
    device: DeviceType,
    *,
    device_name: str | None = None,
    decision_date: str = "2021-06-15",
    date_received: str = "2021-02-01",
    applicant_index: int = 0,
    clearance_type: str = "Traditional",
    **overrides: Any,
) -> dict[str, Any]:
    """One `/device/510k.json` result, with the fields openFDA sends."""
    applicant, city, state, zip_code, country = _APPLICANTS[applicant_index % len(_APPLICANTS)]
    name = device_name or device.device_name
    record: dict[str, Any] = {
        "k_number": k_number,
        "device_name": name,
        "product_code": device.product_code,
        "decision_date": decision_date,
        "date_received": date_received,
        "decision_code": "SESE",
        "decision_description": "Substantially Equivalent",
        "applicant": applicant,
        "contact": "Regulatory Affairs",
        "address_1": "100 Device Way",
        "address_2": "",
        "city": city.upper(),
        "state": state,
        "zip_code": zip_code,
        "postal_code": zip_code,
        "country_code": country,
        "clearance_type": clearance_type,
        "statement_or_summary": "Summary",
        "review_advisory_committee": device.panel,
        "advisory_committee": device.panel,
        "advisory_committee_description": device.specialty,
        "third_party_flag": "N",
        "expedited_review_flag": "N",
        "openfda": {
            "device_name": device.device_name,
            "medical_specialty_description": device.specialty,
            "regulation_number": device.regulation_number,
            "device_class": device.device_class,
            "registration_number": [f"{3000000000 + int(k_number[1:]) % 999999:d}"],
            "fei_number": [f"{3000000000 + int(k_number[1:]) % 999999:d}"],
        },
    }
    record.update(overrides)
    return record


def classification_record(device: DeviceType, **overrides: Any) -> dict[str, Any]:
    """One `/device/classification.json` result."""
    record: dict[str, Any] = {
        "product_code": device.product_code,
        "device_name": device.device_name,
        "device_class": device.device_class,
        "regulation_number": device.regulation_number,
        "medical_specialty": device.panel,
        "medical_specialty_description": device.specialty,
        "review_panel": device.panel,
        "submission_type_id": "1",
        "definition": "",
        "implant_flag": "N",
        "life_sustain_support_flag": "N",
        "gmp_exempt_flag": "N",
        "third_party_flag": "Y",
        "openfda": {"regulation_number": device.regulation_number},
    }
    record.update(overrides)
    return record


def default_clearances(per_product_code: int = 12) -> list[dict[str, Any]]:
    """A deterministic data set: `per_product_code` clearances for each device type."""
    records = []
    number = 190001
    for index, device in enumerate(DEVICE_TYPES):
        for n in range(per_product_code):
            year = 2015 + (n % 9)
            month = (n * 5 + index) % 12 + 1
            records.append(
                clearance_record(
                    f"K{number:06d}",
                    device,
                    device_name=f"{device.device_name}{_MODELS[n % len(_MODELS)]}",
                    decision_date=f"{year}-{month:02d}-15",
                    date_received=f"{year}-{max(month - 3, 1):02d}-01",
                    applicant_index=n + index,
                    clearance_type=("Traditional", "Special", "Abbreviated")[n % 3],
                )
            )
            number += 1
    return records


def default_classifications() -> list[dict[str, Any]]:
    return [classification_record(device) for device in DEVICE_TYPES]


def search_payload(
    results: list[dict[str, Any]], *, skip: int, limit: int, total: int
) -> dict[str, Any]:
    """The 200 envelope openFDA wraps results in."""
    return {
        "meta": {
            "disclaimer": (
                "Do not rely on openFDA to make decisions regarding medical care. While we "
                "make every effort to ensure that data is accurate, you should assume all "
                "results are unvalidated."
            ),
            "terms": "https://open.fda.gov/terms/",
            "license": "https://open.fda.gov/license/",
            "last_updated": LAST_UPDATED,
            "results": {"skip": skip, "limit": limit, "total": total},
        },
        "results": results,
    }


def error_payload(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def not_found_payload() -> dict[str, Any]:
    """What openFDA answers (with HTTP 404) when a search matches nothing."""
    return error_payload("NOT_FOUND", "No matches found!")


def rate_limit_payload() -> dict[str, Any]:
    """api.data.gov's 429 body."""
    return error_payload(
        "OVER_RATE_LIMIT",
        "You have exceeded your rate limit. Try again later or contact us at "
        "https://api.data.gov/contact/ for assistance",
    )
