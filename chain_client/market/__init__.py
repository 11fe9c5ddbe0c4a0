"""The marketplace's shared rules: entity ids, matching and the deposit policy (docs/market.md)."""
