// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC4907} from "./IERC4907.sol";

/// @title Lease Chain machine tokens
/// @notice The ERC-721 mirror of the Lease Chain ledger's equipment tokens. The ledger decides who
/// owns and who leases a machine; one bridge account copies that here, and nobody else moves a
/// token. The lessee is the token's ERC-4907 user until its lease ends, and stays so when the token
/// is sold (unlike the ERC-4907 reference code, which clears the user on transfer): a sale of a
/// leased machine does not end its lease.
contract MachineToken is ERC721, Ownable, IERC4907 {
    struct Use {
        address user;
        uint64 expires;
    }

    uint8 public constant MAX_STATUS = 5;

    address public bridge;
    string private _explorerBase;
    mapping(uint256 tokenId => string) private _ledgerIds;
    mapping(uint256 tokenId => Use) private _uses;
    mapping(uint256 tokenId => uint8) private _statuses;

    event BridgeChanged(address previous, address bridge);
    event StatusChanged(uint256 indexed tokenId, uint8 status);

    error NotBridge(address sender);
    error TransfersByBridgeOnly(address sender);
    error BadStatus(uint8 status);
    error ZeroAddress();

    constructor(address initialOwner, address bridge_, string memory explorerBase)
        ERC721("Lease Chain machine", "LCM")
        Ownable(initialOwner)
    {
        if (bridge_ == address(0)) revert ZeroAddress();
        bridge = bridge_;
        _explorerBase = explorerBase;
    }

    modifier onlyBridge() {
        if (msg.sender != bridge) revert NotBridge(msg.sender);
        _;
    }

    /// @notice The token id of a ledger token id: keccak256 of its UTF-8 bytes, as a number.
    function tokenIdOf(string calldata ledgerId) public pure returns (uint256) {
        return uint256(keccak256(bytes(ledgerId)));
    }

    /// @notice Replaces the bridge account (a rotated key).
    function setBridge(address bridge_) external onlyOwner {
        if (bridge_ == address(0)) revert ZeroAddress();
        emit BridgeChanged(bridge, bridge_);
        bridge = bridge_;
    }

    /// @notice Makes the token of `ledgerId` show the ledger's owner, user, lease end and status,
    /// minting it on first sight; each part is written (and its event emitted) only when it changed.
    function mirror(string calldata ledgerId, address owner_, address user, uint64 expires, uint8 status)
        external
        onlyBridge
        returns (uint256 tokenId)
    {
        if (status == 0 || status > MAX_STATUS) revert BadStatus(status);
        tokenId = tokenIdOf(ledgerId);
        address current = _ownerOf(tokenId);
        if (current == address(0)) {
            _ledgerIds[tokenId] = ledgerId;
            _mint(owner_, tokenId);
        } else if (current != owner_) {
            _update(owner_, tokenId, address(0));
        }
        Use storage use = _uses[tokenId];
        if (use.user != user || use.expires != expires) {
            use.user = user;
            use.expires = expires;
            emit UpdateUser(tokenId, user, expires);
        }
        if (_statuses[tokenId] != status) {
            _statuses[tokenId] = status;
            emit StatusChanged(tokenId, status);
        }
    }

    /// @inheritdoc IERC4907
    function setUser(uint256 tokenId, address user, uint64 expires) external onlyBridge {
        _requireOwned(tokenId);
        _uses[tokenId] = Use(user, expires);
        emit UpdateUser(tokenId, user, expires);
    }

    /// @inheritdoc IERC4907
    function userOf(uint256 tokenId) external view returns (address) {
        Use memory use = _uses[tokenId];
        return use.expires >= block.timestamp ? use.user : address(0);
    }

    /// @inheritdoc IERC4907
    function userExpires(uint256 tokenId) external view returns (uint256) {
        return _uses[tokenId].expires;
    }

    /// @notice The ledger status: 1 in transit, 2 warehoused, 3 leased, 4 returned, 5 retired.
    function statusOf(uint256 tokenId) external view returns (uint8) {
        _requireOwned(tokenId);
        return _statuses[tokenId];
    }

    /// @notice What the token of `ledgerId` shows (owner, user and lease end as stored, status);
    /// all zero before it is minted. The bridge compares this with the ledger.
    function mirrored(string calldata ledgerId)
        external
        view
        returns (address owner_, address user, uint64 expires, uint8 status)
    {
        uint256 tokenId = tokenIdOf(ledgerId);
        Use memory use = _uses[tokenId];
        return (_ownerOf(tokenId), use.user, use.expires, _statuses[tokenId]);
    }

    /// @notice The ledger's id of a token.
    function ledgerIdOf(uint256 tokenId) external view returns (string memory) {
        _requireOwned(tokenId);
        return _ledgerIds[tokenId];
    }

    /// @notice The token's page on the Lease Chain explorer.
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        return string.concat(_explorerBase, _ledgerIds[tokenId]);
    }

    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IERC4907).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @dev Holders' own transfers (`auth` set by transferFrom) are refused: the ledger's owner is
    /// the owner, and only the bridge, passing no `auth`, moves a token.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        if (auth != address(0)) revert TransfersByBridgeOnly(auth);
        return super._update(to, tokenId, auth);
    }
}
