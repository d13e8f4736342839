"""A fake openFDA fetch that records its calls."""


class FakeFetch:
    def __init__(self, payload):
        self.payload = payload
        self.paths = []

    def __call__(self, path):
        self.paths.append(path)
        return self.payload
