"""Your papers: saves, collections, read marks, follows, feedback and imported libraries.

These are the reader's own signals; "For you" (in ``dailypapers.search``) ranks new papers
from them, and digests pick from them.
"""
