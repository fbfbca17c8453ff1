// Tunables of the reservation service, sized for the test rig.
#pragma once

namespace cascade {

// Ports the three tiers listen on (fixed, as in the deployment this rig mirrors).
constexpr int kGatewayPort = 7401;
constexpr int kAuthPort = 7402;
constexpr int kStorePort = 7403;

constexpr int kGatewayTimeoutMs = 60;   // how long the gateway waits for the auth tier before answering TIMEOUT
constexpr int kAuthTimeoutMs = 2000;    // how long the auth tier waits for the store in all
constexpr int kAuthRetries = 2;         // extra copies the auth tier sends when the store is slow to answer
constexpr int kAuthHedgeAfterMs = 15;   // how long the auth tier waits before sending the next copy
constexpr int kClientBackoffMs = 5;     // a client's pause before it tries to connect again

}  // namespace cascade
