// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title Per-second payment streams for virtual machines rented on Golem.
/// @notice A renter (the payer) opens a stream to a provider (the recipient) for one VM: a deposit of
/// an ERC-20 token that vests to the provider at a fixed rate per second. The provider withdraws what has
/// vested at any time; the renter tops the deposit up to extend the runway; either of them ends the stream,
/// which pays the vested part to the provider and returns the rest to the renter.
/// @dev There is no owner, no admin, no pause, no fee and no upgrade: only a stream's payer and recipient
/// can move its funds, and only along the rules above. The vesting schedule is piecewise linear: `settled`
/// is what had vested at time `since`, and from then on `ratePerSecond` vests each second until the deposit
/// is exhausted. A top-up checkpoints the schedule, so a stream whose deposit ran out starts vesting again
/// from the moment of the top-up (the renter does not pay for the time it was not funded).
/// Tokens that take a fee on transfer are credited with what actually arrived; rebasing tokens are not supported.
contract StreamPayments is ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice One stream. Amounts are in the token's base units; times are Unix seconds (block time).
    struct Stream {
        address payer;
        address recipient;
        address token;
        /// Binding to one VM: keccak256 of the VM's id (its name) as UTF-8 bytes.
        bytes32 vmId;
        uint256 ratePerSecond;
        /// Everything ever deposited (opening deposit plus top-ups, as received).
        uint256 deposit;
        /// What had vested at `since`.
        uint256 settled;
        /// Paid to the recipient so far (withdrawals plus the vested part paid at the end).
        uint256 withdrawn;
        /// Returned to the payer when the stream ended.
        uint256 refunded;
        /// When the current linear segment of vesting began.
        uint64 since;
        /// When the stream ended; 0 while it is open.
        uint64 endedAt;
    }

    /// @notice Number of streams ever opened; stream ids are 1..streamCount.
    uint256 public streamCount;
    mapping(uint256 => Stream) private _streams;

    event StreamOpened(
        uint256 indexed streamId,
        address indexed payer,
        address indexed recipient,
        address token,
        bytes32 vmId,
        uint256 deposit,
        uint256 ratePerSecond,
        uint64 paidUntil
    );
    event StreamToppedUp(uint256 indexed streamId, address indexed recipient, uint256 amount, uint256 deposit, uint64 paidUntil);
    event Withdrawn(uint256 indexed streamId, address indexed recipient, uint256 amount);
    event StreamEnded(uint256 indexed streamId, address indexed recipient, address endedBy, uint256 paidToRecipient, uint256 refunded);

    error UnknownStream(uint256 streamId);
    error StreamAlreadyEnded(uint256 streamId);
    error NotPayer(uint256 streamId, address caller);
    error NotRecipient(uint256 streamId, address caller);
    error NotParty(uint256 streamId, address caller);
    error InvalidStream(string reason);
    error ZeroAmount();

    /// @notice Opens a stream for one VM. The caller must have approved `deposit` of `token` to this contract.
    /// @param recipient the provider's address
    /// @param vmId keccak256 of the VM's id, binding the stream to that VM
    /// @param deposit the opening deposit; must pay for at least one second
    /// @param ratePerSecond base units that vest each second
    /// @return streamId the new stream's id
    function open(address recipient, address token, bytes32 vmId, uint256 deposit, uint256 ratePerSecond)
        external
        nonReentrant
        returns (uint256 streamId)
    {
        if (recipient == address(0)) revert InvalidStream("recipient is the zero address");
        if (recipient == msg.sender) revert InvalidStream("payer and recipient are the same address");
        if (token == address(0)) revert InvalidStream("token is the zero address");
        if (ratePerSecond == 0) revert InvalidStream("rate is zero");
        uint256 received = _pull(IERC20(token), deposit);
        if (received < ratePerSecond) revert InvalidStream("deposit does not pay for one second");
        streamId = ++streamCount;
        Stream storage s = _streams[streamId];
        s.payer = msg.sender;
        s.recipient = recipient;
        s.token = token;
        s.vmId = vmId;
        s.ratePerSecond = ratePerSecond;
        s.deposit = received;
        s.since = uint64(block.timestamp);
        emit StreamOpened(streamId, msg.sender, recipient, token, vmId, received, ratePerSecond, _paidUntil(s));
    }

    /// @notice Adds `amount` to an open stream's deposit (payer only). If the deposit had run out, vesting
    /// restarts now: the time the stream was not funded is not charged.
    function topUp(uint256 streamId, uint256 amount) external nonReentrant {
        Stream storage s = _open(streamId);
        if (msg.sender != s.payer) revert NotPayer(streamId, msg.sender);
        uint256 received = _pull(IERC20(s.token), amount);
        _checkpoint(s);
        s.deposit += received;
        emit StreamToppedUp(streamId, s.recipient, received, s.deposit, _paidUntil(s));
    }

    /// @notice Pays the recipient everything that has vested and not yet been paid (recipient only).
    /// @return amount what was paid (0 when nothing was due)
    function withdraw(uint256 streamId) external nonReentrant returns (uint256 amount) {
        Stream storage s = _stream(streamId);
        if (msg.sender != s.recipient) revert NotRecipient(streamId, msg.sender);
        amount = _withdraw(streamId, s);
    }

    /// @notice Withdraws from several streams in one transaction (recipient of each).
    /// @return total the sum paid, which may span tokens: callers that mix tokens sum per token from the events
    function withdrawMany(uint256[] calldata streamIds) external nonReentrant returns (uint256 total) {
        for (uint256 i = 0; i < streamIds.length; i++) {
            Stream storage s = _stream(streamIds[i]);
            if (msg.sender != s.recipient) revert NotRecipient(streamIds[i], msg.sender);
            total += _withdraw(streamIds[i], s);
        }
    }

    /// @notice Ends a stream (payer or recipient): the vested, unpaid part goes to the recipient and the
    /// unvested rest back to the payer. An ended stream can no longer be topped up.
    function end(uint256 streamId) external nonReentrant {
        Stream storage s = _open(streamId);
        if (msg.sender != s.payer && msg.sender != s.recipient) revert NotParty(streamId, msg.sender);
        uint256 vested = _vestedAt(s, block.timestamp);
        uint256 toRecipient = vested - s.withdrawn;
        uint256 refund = s.deposit - vested;
        s.settled = vested;
        s.since = uint64(block.timestamp);
        s.endedAt = uint64(block.timestamp);
        s.withdrawn = vested;
        s.refunded = refund;
        emit StreamEnded(streamId, s.recipient, msg.sender, toRecipient, refund);
        IERC20 token = IERC20(s.token);
        if (toRecipient > 0) token.safeTransfer(s.recipient, toRecipient);
        if (refund > 0) token.safeTransfer(s.payer, refund);
    }

    /// @notice The stream as stored. Reverts for an id that was never opened.
    function getStream(uint256 streamId) external view returns (Stream memory) {
        return _stream(streamId);
    }

    /// @notice What has vested by now, paid or not.
    function vestedAmount(uint256 streamId) external view returns (uint256) {
        return _vestedAt(_stream(streamId), block.timestamp);
    }

    /// @notice What the recipient could withdraw now.
    function withdrawable(uint256 streamId) external view returns (uint256) {
        Stream storage s = _stream(streamId);
        return _vestedAt(s, block.timestamp) - s.withdrawn;
    }

    /// @notice What ending the stream now would return to the payer.
    function refundable(uint256 streamId) external view returns (uint256) {
        Stream storage s = _stream(streamId);
        if (s.endedAt != 0) return 0;
        return s.deposit - _vestedAt(s, block.timestamp);
    }

    /// @notice The last second the deposit fully pays for (an ended stream: its end).
    function paidUntil(uint256 streamId) external view returns (uint64) {
        return _paidUntil(_stream(streamId));
    }

    function _stream(uint256 streamId) private view returns (Stream storage s) {
        s = _streams[streamId];
        if (s.payer == address(0)) revert UnknownStream(streamId);
    }

    function _open(uint256 streamId) private view returns (Stream storage s) {
        s = _stream(streamId);
        if (s.endedAt != 0) revert StreamAlreadyEnded(streamId);
    }

    // Moves `amount` from the caller and returns what arrived (less than asked for fee-on-transfer tokens).
    function _pull(IERC20 token, uint256 amount) private returns (uint256 received) {
        if (amount == 0) revert ZeroAmount();
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        received = token.balanceOf(address(this)) - before;
        if (received == 0) revert ZeroAmount();
    }

    function _withdraw(uint256 streamId, Stream storage s) private returns (uint256 amount) {
        amount = _vestedAt(s, block.timestamp) - s.withdrawn;
        if (amount == 0) return 0;
        s.withdrawn += amount;
        emit Withdrawn(streamId, s.recipient, amount);
        IERC20(s.token).safeTransfer(s.recipient, amount);
    }

    // Starts a new linear segment now, from what has vested so far.
    function _checkpoint(Stream storage s) private {
        s.settled = _vestedAt(s, block.timestamp);
        s.since = uint64(block.timestamp);
    }

    // settled + rate x (t - since), capped at the deposit; frozen once the stream ended.
    // The multiplication happens only when it cannot exceed the remaining deposit, so it never overflows.
    function _vestedAt(Stream storage s, uint256 t) private view returns (uint256) {
        if (s.endedAt != 0 || t <= s.since) return s.settled;
        uint256 remaining = s.deposit - s.settled;
        uint256 elapsed = t - s.since;
        if (elapsed > remaining / s.ratePerSecond) return s.deposit;
        return s.settled + elapsed * s.ratePerSecond;
    }

    function _paidUntil(Stream storage s) private view returns (uint64) {
        if (s.endedAt != 0) return s.endedAt;
        return uint64(s.since + (s.deposit - s.settled) / s.ratePerSecond);
    }
}
