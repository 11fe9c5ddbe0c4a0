"""The marketplace's transaction handlers (docs/market.md)."""
