"""The test-suite organizer: counting, duplicates, problems, plans, apply/undo, CLI."""
