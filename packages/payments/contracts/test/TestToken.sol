// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title An ERC-20 token for local test chains only.
/// @notice The deployer may mint any amount to anyone; on a real chain use a real token instead.
contract TestToken is ERC20, Ownable {
    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) Ownable(msg.sender) {}

    /// @notice Creates `amount` base units for `to` (deployer only).
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
