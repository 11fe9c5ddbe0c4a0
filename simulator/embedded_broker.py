"""An MQTT 3.1.1 broker in pure Python (amqtt) for machines without Mosquitto.

``python -m simulator.embedded_broker PORT`` listens on 127.0.0.1:PORT until
SIGTERM or SIGINT.  It is what ``leasechain-sim demo`` falls back to; a
real site uses Mosquitto.
"""

from __future__ import annotations

import asyncio
import signal
import sys


async def serve(port: int) -> None:
    """Run the broker until a termination signal."""
    from amqtt.broker import Broker

    config = {
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}", "max_connections": 0}},
        "sys_interval": 0,
        "auth": {"allow-anonymous": True, "plugins": ["auth_anonymous"]},
        "topic-check": {"enabled": False},
    }
    broker = Broker(config)
    await broker.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await broker.shutdown()


def main() -> None:
    """Entry point: the port is the only argument."""
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: python -m simulator.embedded_broker PORT")
    asyncio.run(serve(int(sys.argv[1])))


if __name__ == "__main__":
    main()
