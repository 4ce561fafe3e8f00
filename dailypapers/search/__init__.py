"""The Django side of search: keeps the index in step with the catalogue, and its pages."""
