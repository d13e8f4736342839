import pytest
from app.projects import MAX_NAME_LENGTH, validate_name


def test_surrounding_and_repeated_spaces_are_removed():
    assert validate_name("  Balloon   catheter ") == "Balloon catheter"


@pytest.mark.parametrize("name", ["", "   ", "x" * (MAX_NAME_LENGTH + 1)])
def test_invalid_names_are_refused(name):
    with pytest.raises(ValueError, match="name"):
        validate_name(name)
