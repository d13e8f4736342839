# Sickness: a module-level import of a package the environment lacks (collection error).
import heavy_ml_toolkit


def test_scores_a_device():
    assert heavy_ml_toolkit.score("DQY") > 0
