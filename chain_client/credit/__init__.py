"""The published credit score: a fold of log entries into credit facts, and the formula (docs/credit.md)."""

from chain_client.credit.book import CreditBook
from chain_client.credit.score import Line, Score, band_of, score

__all__ = ["CreditBook", "Line", "Score", "band_of", "score"]
