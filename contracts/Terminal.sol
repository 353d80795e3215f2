// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IVaultOps} from "./Interfaces.sol";

/// @title Terminal: identities (provider/master pairing), agents and provider metadata.
contract Terminal is Ownable {
    bytes32 public constant PROVIDER = keccak256("PROVIDER");
    /// @dev "The Order", the network's default scheduling agent (only affects getIsAgentOf).
    address internal constant DEFAULT_AGENT = 0x306Dc3fF30254675B209D916475094401aCC4a1E;

    address public manager;
    address public vault;
    mapping(address => bool) public isProvider;
    mapping(address => bool) public isMaster;
    mapping(address => address) public masterOf;
    mapping(address => address) public providerOf;
    mapping(address => mapping(address => bool)) public isAgentOf;
    mapping(address => bool) public defaultAgentDisabled;
    mapping(address => string) public baseDataOf;
    mapping(address => string) public liveDataOf;
    /// @dev Set by announceProvider, consumed by announceMaster (the two-step handshake).
    mapping(address => address) internal pendingMasterOf;

    event AgentSet(address account, address agent, bool value);
    event BaseDataUpdated(address provider);
    event DefaultAgentDisabled(address master, bool value);
    event LiveDataUpdated(address provider);
    event MasterAnnounced(address provider, address master);
    event ProviderAnnounced(address provider, address master);
    event ProviderRemoved(address provider);
    event RemoveContainer(address provider, address source);

    constructor(address _manager, address _vault) Ownable(msg.sender) {
        manager = _manager;
        vault = _vault;
    }

    /// @notice Step 1 of pairing, by the master; `amount` (sent as value) becomes the provider's lockup.
    function announceProvider(address provider, uint256 amount) external payable {
        require(provider != address(0), "InvalidAddress");
        require(msg.value == amount, "InvalidAmount");
        require(!isProvider[msg.sender], "NotMaster");
        address current = masterOf[provider];
        require(current == address(0) || current == msg.sender, "AlreadyPaired");
        isProvider[provider] = true;
        pendingMasterOf[provider] = msg.sender;
        providerOf[msg.sender] = provider;
        emit ProviderAnnounced(provider, msg.sender);
        if (amount > 0) IVaultOps(vault).deposit{value: amount}(provider);
    }

    /// @notice Step 2 of pairing, by the provider, naming the master that announced it.
    function announceMaster(address master) external {
        require(isProvider[msg.sender], "NotProvider");
        require(master != address(0) && pendingMasterOf[msg.sender] == master, "NotMaster");
        masterOf[msg.sender] = master;
        isMaster[master] = true;
        providerOf[master] = msg.sender;
        emit MasterAnnounced(msg.sender, master);
    }

    function removeProvider(address provider) external {
        require(masterOf[provider] == msg.sender || pendingMasterOf[provider] == msg.sender, "NotMaster");
        delete masterOf[provider];
        delete pendingMasterOf[provider];
        delete providerOf[msg.sender];
        isProvider[provider] = false;
        isMaster[msg.sender] = false;
        emit ProviderRemoved(provider);
    }

    function removeContainer(address provider, address source) external {
        require(masterOf[provider] == msg.sender, "NotMaster");
        emit RemoveContainer(provider, source);
    }

    /// @notice Authorise (or revoke) an agent to act for the caller (a client or a master).
    function setAgent(address agent, bool value) external {
        require(!isProvider[msg.sender], "ProviderCannotSetAgent");
        require(agent != address(0), "InvalidAddress");
        isAgentOf[msg.sender][agent] = value;
        emit AgentSet(msg.sender, agent, value);
    }

    function setDefaultAgentDisabled(bool value) external {
        defaultAgentDisabled[msg.sender] = value;
        emit DefaultAgentDisabled(msg.sender, value);
    }

    function setBaseData(string memory _baseData) external {
        require(isProvider[msg.sender], "NotProvider");
        baseDataOf[msg.sender] = _baseData;
        emit BaseDataUpdated(msg.sender);
    }

    function setLiveData(string memory _liveData) external {
        require(isProvider[msg.sender], "NotProvider");
        liveDataOf[msg.sender] = _liveData;
        emit LiveDataUpdated(msg.sender);
    }

    function setManager(address _manager) external onlyOwner {
        manager = _manager;
    }

    function setVault(address _vault) external onlyOwner {
        vault = _vault;
    }

    function getMasterOf(address provider) external view returns (address) {
        return masterOf[provider];
    }

    function getIsMaster(address master) external view returns (bool) {
        return isMaster[master];
    }

    /// @notice Raw mapping, plus the default agent unless `master` disabled it.
    function getIsAgentOf(address master, address agent) external view returns (bool) {
        return isAgentOf[master][agent] || (agent == DEFAULT_AGENT && !defaultAgentDisabled[master]);
    }
}
