"""A small slice of the MDRA backend: projects, their storage, tokens, openFDA predicates."""
