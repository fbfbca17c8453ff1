// Tunables of the transfer service, sized for the test rig.
#pragma once

namespace ledger {

constexpr int kMaxRetries = 8;        // a client gives up on a transfer after this many retries
constexpr int kRetryBackoffUs = 20;   // how long a client waits for an acknowledgement before retrying

}  // namespace ledger
