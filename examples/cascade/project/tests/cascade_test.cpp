// End-to-end check of the reservation service under load: rounds of concurrent clients reserve through the
// gateway. Every client must get its reservation confirmed in time (`deadline`), and every reservation must be
// made exactly once in the store however the tiers retry (`exactly-once`). The tiers listen on fixed ports.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "config.h"
#include "services.h"

namespace {

constexpr int kRounds = 6;
constexpr int kClients = 16;        // concurrent clients in a round
constexpr int kStoreServiceMs = 6;  // the store worker's time per reservation
constexpr int kDrainMs = 30000;     // how long a round may take to settle

struct Check {
  explicit Check(std::string check_name) : name(std::move(check_name)) {}
  std::string name;
  int passed_rounds = 0;
  std::string first_failure;
  void record(int round, const std::string& failure) {
    if (failure.empty()) ++passed_rounds;
    else if (first_failure.empty()) first_failure = "round " + std::to_string(round) + ": " + failure;
  }
  bool report() const {
    bool ok = passed_rounds == kRounds;
    std::printf("%s %s (%d/%d rounds)%s%s\n", ok ? "PASS" : "FAIL", name.c_str(), passed_rounds, kRounds,
                ok ? "" : "; first failure: ", first_failure.c_str());
    return ok;
  }
};

std::vector<std::string> reserve_concurrently(int round) {
  std::vector<std::string> replies(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c)
    clients.emplace_back([&replies, round, c] {
      replies[c] = cascade::reserve("r" + std::to_string(round) + "-" + std::to_string(c));
    });
  for (auto& t : clients) t.join();
  return replies;
}

}  // namespace

int main() {
  Check deadline("deadline"), exactly_once("exactly-once");
  std::unique_ptr<cascade::Store> store;
  std::unique_ptr<cascade::Auth> auth;
  std::unique_ptr<cascade::Gateway> gateway;
  try {
    store = std::make_unique<cascade::Store>(cascade::kStorePort, kStoreServiceMs);
    auth = std::make_unique<cascade::Auth>(cascade::kAuthPort);
    gateway = std::make_unique<cascade::Gateway>(cascade::kGatewayPort);
  } catch (const std::runtime_error& e) {
    std::printf("FAIL setup: %s\n", e.what());
    std::printf("FAIL deadline (0/%d rounds); first failure: the service did not start\n", kRounds);
    std::printf("FAIL exactly-once (0/%d rounds); first failure: the service did not start\n", kRounds);
    return 1;
  }
  for (int round = 1; round <= kRounds; ++round) {
    auto replies = reserve_concurrently(round);
    bool settled = gateway->wait_idle(kDrainMs) && auth->wait_idle(kDrainMs) && store->wait_idle(kDrainMs);
    int late = 0, twice = 0;
    std::string example;
    for (int c = 0; c < kClients; ++c) {
      std::string id = "r" + std::to_string(round) + "-" + std::to_string(c);
      if (replies[c] != "OK " + id) {
        ++late;
        if (example.empty()) example = id + " got \"" + replies[c] + "\"";
      }
      if (store->reservations(id) != 1) ++twice;
    }
    deadline.record(round, late ? std::to_string(late) + " of " + std::to_string(kClients) +
                                      " clients got no confirmation (" + example + ")"
                                : "");
    exactly_once.record(round, !settled ? "the service did not settle"
                               : twice  ? std::to_string(twice) + " of " + std::to_string(kClients) +
                                             " reservations made more than once"
                                        : "");
  }
  bool ok = deadline.report();
  ok = exactly_once.report() && ok;
  return ok ? 0 : 1;
}
