// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IManagerRoles} from "./Interfaces.sol";

/// @title Vault: native-coin balances, provider lockup and unbonding, task escrow, sanctions.
/// @notice Every wei it holds sits in exactly one ledger:
/// balance == sum(balanceOf + lockupOf + unbondingOf + frozenPayment + sanctionOf).
/// @dev No Ownable and no custom errors at all: the SDK's Vault ABI has no error entries.
contract Vault {
    bytes32 internal constant DEFAULT_ADMIN_ROLE = 0x00;
    bytes32 internal constant CONTROLLER = keccak256("CONTROLLER");
    bytes32 internal constant JUDGE = keccak256("JUDGE");

    address public manager;
    address public nexus;
    address public terminal;
    uint256 public UNBONDING_PERIOD;
    uint256 public MIN_LOCKUP_PER_SOURCE;
    uint256 public sanctionedAmount;

    mapping(address => uint256) public balanceOf;
    mapping(address => uint256) public lockupOf;
    mapping(address => uint256) public unbondingOf;
    mapping(address => uint256) public unbondingTimestamp;
    mapping(address => uint256) public frozenPayment;
    mapping(address => uint256) public totalEarningsOf;
    mapping(address => uint256) public sanctionOf;
    mapping(address => bool) public isWhitelisted;
    /// @dev Escrow still held for a task, and who paid it (authoritative payer record).
    mapping(address => uint256) internal taskEscrow;
    mapping(address => address) internal taskClient;

    event Claimed(address account, uint256 amount);
    event Deposited(address account, uint256 amount);
    event Locked(address account, uint256 amount);
    event Sanctioned(address account, uint256 amount);
    event Unbonded(address account, uint256 amount);
    event UnbondingCanceled(address account, uint256 amount);
    event Waived(address account, uint256 amount);
    event Withdrawn(address account, uint256 amount);

    modifier onlyController() {
        require(msg.sender == nexus || _hasRole(CONTROLLER, msg.sender), "NotController");
        _;
    }

    modifier onlyAdmin() {
        require(_hasRole(DEFAULT_ADMIN_ROLE, msg.sender), "NotAdmin");
        _;
    }

    modifier onlyJudge() {
        require(_hasRole(JUDGE, msg.sender), "NotJudge");
        _;
    }

    constructor(address _manager, address _nexus, address _terminal) {
        manager = _manager;
        nexus = _nexus;
        terminal = _terminal;
    }

    // ---- accounts -------------------------------------------------------------------

    /// @notice Credit `account`'s liquid balance; value sent by the Terminal (a master's
    /// announceProvider stake) is credited to `account`'s lockup instead.
    function deposit(address account) external payable {
        require(msg.value > 0, "ZeroAmount");
        emit Deposited(account, msg.value);
        if (msg.sender == terminal) {
            lockupOf[account] += msg.value;
            emit Locked(account, msg.value);
        } else {
            balanceOf[account] += msg.value;
        }
    }

    function withdraw(uint256 amount) external {
        require(balanceOf[msg.sender] >= amount, "InsufficientBalance");
        balanceOf[msg.sender] -= amount;
        emit Withdrawn(msg.sender, amount);
        _pay(msg.sender, amount);
    }

    function lock(uint256 amount) external {
        require(balanceOf[msg.sender] >= amount, "InsufficientBalance");
        balanceOf[msg.sender] -= amount;
        lockupOf[msg.sender] += amount;
        emit Locked(msg.sender, amount);
    }

    /// @notice Move lockup into the unbonding bucket; a new unbond restarts the whole bucket's clock.
    function unbond(uint256 amount) external {
        require(lockupOf[msg.sender] >= amount, "InsufficientLockup");
        lockupOf[msg.sender] -= amount;
        unbondingOf[msg.sender] += amount;
        unbondingTimestamp[msg.sender] = block.timestamp + UNBONDING_PERIOD;
        emit Unbonded(msg.sender, amount);
    }

    function cancelUnbonding() external {
        uint256 amount = unbondingOf[msg.sender];
        require(amount > 0, "NothingUnbonding");
        lockupOf[msg.sender] += amount;
        unbondingOf[msg.sender] = 0;
        unbondingTimestamp[msg.sender] = 0;
        emit UnbondingCanceled(msg.sender, amount);
    }

    /// @notice Matured unbonding goes to the liquid balance (withdraw moves it to the wallet).
    function claim() external {
        uint256 amount = unbondingOf[msg.sender];
        require(amount > 0, "NothingToClaim");
        require(block.timestamp >= unbondingTimestamp[msg.sender], "UnbondingNotElapsed");
        balanceOf[msg.sender] += amount;
        unbondingOf[msg.sender] = 0;
        unbondingTimestamp[msg.sender] = 0;
        emit Claimed(msg.sender, amount);
    }

    // ---- task escrow (Nexus / CONTROLLER role) ---------------------------------------

    function freezePayment(address client, address task, uint256 amount) external onlyController {
        require(taskClient[task] == address(0), "AlreadyFrozen");
        require(balanceOf[client] >= amount, "InsufficientBalance");
        balanceOf[client] -= amount;
        frozenPayment[client] += amount;
        taskEscrow[task] = amount;
        taskClient[task] = client;
    }

    /// @dev `client` is informational: the payer recorded at freeze time is debited.
    function processPayment(address client, address provider, address task, uint256 amount)
        external
        onlyController
    {
        client;
        require(taskEscrow[task] >= amount, "InsufficientEscrow");
        taskEscrow[task] -= amount;
        frozenPayment[taskClient[task]] -= amount;
        balanceOf[provider] += amount;
        totalEarningsOf[provider] += amount;
    }

    function releasePayment(address client, address task) external onlyController {
        client;
        _release(task);
    }

    function forceReleasePayment(address client, address task) external {
        client;
        require(_hasRole(JUDGE, msg.sender) || _hasRole(DEFAULT_ADMIN_ROLE, msg.sender), "NotJudge");
        _release(task);
    }

    // ---- sanctions (JUDGE) and admin -----------------------------------------------

    function sanction(address account, uint256 amount) external onlyJudge {
        require(lockupOf[account] >= amount, "InsufficientLockup");
        lockupOf[account] -= amount;
        sanctionOf[account] += amount;
        sanctionedAmount += amount;
        emit Sanctioned(account, amount);
    }

    function waive(address account, uint256 amount) external onlyJudge {
        require(sanctionOf[account] >= amount, "InsufficientSanction");
        sanctionOf[account] -= amount;
        sanctionedAmount -= amount;
        lockupOf[account] += amount;
        emit Waived(account, amount);
    }

    /// @notice Move `account`'s sanctioned funds out to the calling admin (the treasury).
    function withdrawSanctionOf(address account) external onlyAdmin {
        uint256 amount = sanctionOf[account];
        sanctionOf[account] = 0;
        sanctionedAmount -= amount;
        _pay(msg.sender, amount);
    }

    /// @notice Pay `account`'s balance, lockup and unbonding out to it at once.
    function emergencyExit(address account) external onlyAdmin {
        uint256 amount = balanceOf[account] + lockupOf[account] + unbondingOf[account];
        balanceOf[account] = 0;
        lockupOf[account] = 0;
        unbondingOf[account] = 0;
        unbondingTimestamp[account] = 0;
        emit Withdrawn(account, amount);
        _pay(account, amount);
    }

    function setMaxUnbondingPeriod(uint256 period) external onlyAdmin {
        UNBONDING_PERIOD = period;
    }

    function setMinLockupPerSource(uint256 amount) external onlyAdmin {
        MIN_LOCKUP_PER_SOURCE = amount;
    }

    function setWhitelist(address account, bool value) external onlyAdmin {
        isWhitelisted[account] = value;
    }

    function setTerminal(address _terminal) external onlyAdmin {
        terminal = _terminal;
    }

    // ---- views ----------------------------------------------------------------------

    function getBalanceOf(address account) external view returns (uint256) {
        return balanceOf[account];
    }

    function getLockupOf(address account) external view returns (uint256) {
        return lockupOf[account];
    }

    function isEligible(address account) external view returns (bool) {
        return isWhitelisted[account]
            || (sanctionOf[account] == 0 && lockupOf[account] >= MIN_LOCKUP_PER_SOURCE);
    }

    // ---- internals ------------------------------------------------------------------

    function _release(address task) private {
        uint256 amount = taskEscrow[task];
        if (amount == 0) return;
        address payer = taskClient[task];
        taskEscrow[task] = 0;
        frozenPayment[payer] -= amount;
        balanceOf[payer] += amount;
    }

    function _hasRole(bytes32 role, address account) private view returns (bool) {
        return IManagerRoles(manager).hasRole(role, account);
    }

    function _pay(address to, uint256 amount) private {
        if (amount == 0) return;
        (bool ok,) = payable(to).call{value: amount}("");
        require(ok, "TransferFailed");
    }
}
