// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title Lease Chain checkpoint anchors
/// @notice Append-only record of the checkpoints of Lease Chain logs (c2sp.org/tlog-checkpoint),
/// one history per log origin. The owner names each log's anchoring account once; only that
/// account appends, and each anchor's tree size is strictly larger than the one before, so a
/// recorded (size, root) can never be replaced.
contract CheckpointAnchor is Ownable {
    struct Anchor {
        uint64 size;
        uint16 cosignatures;
        uint64 blockNumber;
        uint64 timestamp;
        bytes32 root;
    }

    struct Log {
        address writer;
        uint64 latestSize;
    }

    mapping(bytes32 originHash => Log) private _logs;
    mapping(bytes32 originHash => mapping(uint64 size => Anchor)) private _anchors;

    event LogRegistered(bytes32 indexed originHash, string origin, address writer);
    event WriterChanged(bytes32 indexed originHash, address previous, address writer);
    event CheckpointAnchored(
        bytes32 indexed originHash, uint64 indexed size, bytes32 root, uint16 cosignatures, string origin
    );

    error LogAlreadyRegistered(string origin);
    error UnknownLog(string origin);
    error NotLogWriter(address sender, address writer);
    error SizeNotIncreasing(uint64 latest, uint64 size);
    error ZeroAddress();

    constructor(address initialOwner) Ownable(initialOwner) {}

    /// @notice Names the one account that may anchor checkpoints of `origin`.
    function registerLog(string calldata origin, address writer) external onlyOwner {
        bytes32 key = keccak256(bytes(origin));
        if (_logs[key].writer != address(0)) revert LogAlreadyRegistered(origin);
        if (writer == address(0)) revert ZeroAddress();
        _logs[key].writer = writer;
        emit LogRegistered(key, origin, writer);
    }

    /// @notice Replaces the anchoring account of `origin` (a lost or rotated key); history stays.
    function setWriter(string calldata origin, address writer) external onlyOwner {
        bytes32 key = keccak256(bytes(origin));
        address previous = _logs[key].writer;
        if (previous == address(0)) revert UnknownLog(origin);
        if (writer == address(0)) revert ZeroAddress();
        _logs[key].writer = writer;
        emit WriterChanged(key, previous, writer);
    }

    /// @notice Appends the checkpoint (`size`, `root`) of `origin`, co-signed by `cosignatures` witnesses.
    function anchor(string calldata origin, uint64 size, bytes32 root, uint16 cosignatures) external {
        bytes32 key = keccak256(bytes(origin));
        Log storage log = _logs[key];
        if (log.writer == address(0)) revert UnknownLog(origin);
        if (msg.sender != log.writer) revert NotLogWriter(msg.sender, log.writer);
        if (size <= log.latestSize) revert SizeNotIncreasing(log.latestSize, size);
        log.latestSize = size;
        _anchors[key][size] = Anchor(size, cosignatures, uint64(block.number), uint64(block.timestamp), root);
        emit CheckpointAnchored(key, size, root, cosignatures, origin);
    }

    /// @notice The anchoring account of `origin` (the zero address if unknown).
    function writerOf(string calldata origin) external view returns (address) {
        return _logs[keccak256(bytes(origin))].writer;
    }

    /// @notice The newest anchor of `origin`; all zero when none.
    function latest(string calldata origin) external view returns (Anchor memory) {
        bytes32 key = keccak256(bytes(origin));
        return _anchors[key][_logs[key].latestSize];
    }

    /// @notice The anchor of `origin` at tree size `size`; all zero when that size was not anchored.
    function bySize(string calldata origin, uint64 size) external view returns (Anchor memory) {
        return _anchors[keccak256(bytes(origin))][size];
    }
}
