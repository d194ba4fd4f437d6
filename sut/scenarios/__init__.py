"""One module per scenario: its params, workers, variants and invariants."""
