"""``python -m chain_client.cli``."""

from chain_client.cli.main import entry

entry()
