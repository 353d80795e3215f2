// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Shared protocol types. They live at file scope on purpose: the SDK's ABIs carry the
// unqualified internalType strings ("struct SourceParams", "enum TaskStatus"), which the
// compiler only produces for file-level declarations.

enum DeliveryMethod {
    MANUAL_CONFIRMATION,
    FIRST_RESPONSE
}

enum TaskStatus {
    NEW,
    ATTEMPTED,
    RESPONDED,
    CANCELED,
    EXPIRED,
    FINALIZED
}

enum SourceStatus {
    ACTIVE,
    INACTIVE
}

enum ResponseStatus {
    SUBMITTED,
    CONFIRMED
}

struct SourceParams {
    address client;
    string imageMetadataUrl;
    uint8 imageEnvironments;
    uint256 minPayment;
    uint256 minAvailableLockup;
    uint256 maxExpiryDuration;
    bool privacyEnabled;
    string optionalParamsUrl;
    DeliveryMethod deliveryMethod;
    uint256 lastUpdateTime;
}

struct TaskParams {
    address source;
    string config;
    uint256 expiryTime;
    uint256 payment;
}

struct ResponseParams {
    address task;
    address provider;
    string data;
    uint256 payment;
}

/// @dev Inclusive, clamped slices for the paginated getters (PROTOCOL.md section 7):
/// element `i` lands at position `i - lower`; `upper` past the end is clamped; an empty
/// array comes back when `lower` is past the end or above `upper`. Never panics.
library Paging {
    function bounds(uint256 length, uint256 lower, uint256 upper)
        internal
        pure
        returns (uint256 count)
    {
        if (length == 0 || lower >= length || lower > upper) return 0;
        uint256 hi = upper >= length ? length - 1 : upper;
        return hi - lower + 1;
    }

    function slice(address[] storage items, uint256 lower, uint256 upper)
        internal
        view
        returns (address[] memory out)
    {
        uint256 count = bounds(items.length, lower, upper);
        out = new address[](count);
        for (uint256 i = 0; i < count; i++) out[i] = items[lower + i];
    }

    function slice(uint256[] storage items, uint256 lower, uint256 upper)
        internal
        view
        returns (uint256[] memory out)
    {
        uint256 count = bounds(items.length, lower, upper);
        out = new uint256[](count);
        for (uint256 i = 0; i < count; i++) out[i] = items[lower + i];
    }
}
