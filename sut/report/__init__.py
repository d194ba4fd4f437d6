"""What a person reads: the demo, the races document, lanes, pictures, a run in one line."""
