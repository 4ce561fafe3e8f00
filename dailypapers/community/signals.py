from django.dispatch import Signal

votes_changed = Signal()
"""Sent after a transaction that changed the votes a paper counts for (a vote, taking a vote
back, unfeaturing or featuring again) commits; ``paper_ids`` is a list of ``Paper`` keys. The
entries are marked ``votes_changed`` in that transaction."""
