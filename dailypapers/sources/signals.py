"""What the sources announce to the apps above them (which import the sources, never the
other way round)."""

from django.dispatch import Signal

featurings_read = Signal()
"""Sent inside an ingest batch's transaction, after its papers were upserted, with
``featurings``: the ``items.Featuring`` a reader of another site's daily list read (Hugging
Face's). The community records them as featured papers (``community.submissions``)."""
