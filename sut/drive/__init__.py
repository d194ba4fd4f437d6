"""Parent-side drivers: the catalogue, exploration, the searches, the hunt, stress.

Nothing here runs in a worker process; what it imports, no worker pays for.
"""
