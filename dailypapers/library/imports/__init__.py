"""Bringing a reader's library in: the formats read (``formats``), how entries are matched to
the catalogue (``matching``), the job that does it (``job``, run by ``tasks``) and its pages."""
