# Sickness: a module that no longer parses (collection error).
def test_legacy_route(:
    pass
