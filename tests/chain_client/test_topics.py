"""MQTT topic layout."""

from __future__ import annotations

import pytest

from chain_client import ProtocolError, Reason, topics

DEV = bytes.fromhex("56475aa75463474c0285df5dbf2bcab7")


def test_build_and_parse() -> None:
    name = topics.topic(DEV, "data")
    assert name == "leasechain/v1/dev/56475aa75463474c0285df5dbf2bcab7/data"
    assert topics.parse(name) == (DEV, "data")
    assert topics.subscription("data") == "leasechain/v1/dev/+/data"
    assert topics.subscription("data", "gw") == "$share/gw/leasechain/v1/dev/+/data"


@pytest.mark.parametrize(
    "name",
    [
        "leasechain/v1/dev/56475aa75463474c0285df5dbf2bcab7/other",
        "leasechain/v2/dev/56475aa75463474c0285df5dbf2bcab7/data",
        "leasechain/v1/dev/56475AA75463474C0285DF5DBF2BCAB7/data",
        "leasechain/v1/dev/zz475aa75463474c0285df5dbf2bcab7/data",
        "leasechain/v1/dev/5647/data",
        "leasechain/v1/dev/56475aa75463474c0285df5dbf2bcab7/data/extra",
    ],
)
def test_foreign_topics_are_rejected_with_the_topic_named(name: str) -> None:
    with pytest.raises(ProtocolError) as info:
        topics.parse(name)
    assert info.value.reason is Reason.TOPIC_MISMATCH
    assert name in str(info.value)
