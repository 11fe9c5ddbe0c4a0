"""Backend-in-a-box: verifiable ledger, tokenization, leasing and rent distribution."""
