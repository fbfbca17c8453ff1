// Planted secrets (issue 18): every token shape the redactor knows, printed by an agent on stdout (in tool inputs,
// tool outputs and messages), on stderr, by its verify command, and given to the harness in its environment, is
// found nowhere in the run dir afterwards: not in run.db (its bytes, WAL included), the raw copies, the logs, the
// reports. (OTLP attributes: HostileFixture.AnAttributeNamedLikeASecretIsNeitherStoredNorKept.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "loop_fixture.h"

namespace fs = std::filesystem;
using namespace harness_test;

namespace {

// The part of each secret that must never be stored (its prefix may stay, as in "sk-ant-[REDACTED...").
const std::vector<std::string> kSecrets = {
    "sk-ant-api03-PLANTEDanthropic000000000000",
    "sk-proj-PLANTEDopenai0000000000",
    "ghp_PLANTEDgithub00000000000000000000",
    "AKIAPLANTED000000000",
    "xoxb-PLANTED-slack-0000000",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.PLANTEDjwtSignature000000",
    "PLANTEDbearer0000000000",
    "PLANTEDpassword0000",
    "MIIEPLANTEDprivatekeyline00000000",
};

TEST(PlantedSecrets, NoneIsFoundAnywhereInTheRunDir) {
  LoopFixture f;
  std::string all;  // every shape on one line
  all += "key " + kSecrets[0] + " proj " + kSecrets[1] + " gh " + kSecrets[2] + " aws " + kSecrets[3] + " slack " +
         kSecrets[4] + " jwt " + kSecrets[5] + " auth Bearer " + kSecrets[6] + " DB_PASSWORD=" + kSecrets[7];
  std::string pem = "-----BEGIN RSA PRIVATE KEY-----\\n" + kSecrets[8] + "\\n-----END RSA PRIVATE KEY-----";
  std::string agent = f.dir() + "/planter.sh";
  std::ofstream(agent) << "#!/bin/sh\n"
                       << "echo '{\"hv\":1,\"type\":\"session.start\",\"session\":\"main\"}'\n"
                       << "echo '{\"hv\":1,\"type\":\"message\",\"session\":\"main\",\"role\":\"user\",\"text\":\"" << all
                       << "\"}'\n"
                       << "echo '{\"hv\":1,\"type\":\"tool.start\",\"session\":\"main\",\"id\":\"t1\",\"tool\":\"bash\","
                          "\"input\":\"curl -H Authorization: Bearer " << kSecrets[6] << " " << all << "\"}'\n"
                       << "echo '{\"hv\":1,\"type\":\"tool.end\",\"session\":\"main\",\"id\":\"t1\",\"status\":\"error\","
                          "\"output\":\"" << all << " " << pem << "\"}'\n"
                       << "echo '{\"hv\":1,\"type\":\"error\",\"session\":\"main\",\"message\":\"" << all << "\"}'\n"
                       << "echo '" << all << "' >&2\n"
                       << "printf '-----BEGIN RSA PRIVATE KEY-----\\n" << kSecrets[8]
                       << "\\n-----END RSA PRIVATE KEY-----\\n' >&2\n"
                       << "echo \"env: $PLANTED_API_KEY\" >&2\n"
                       << "echo '{\"hv\":1,\"type\":\"session.end\",\"session\":\"main\",\"status\":\"error\"}'\n"
                       << "exit 1\n";
  fs::permissions(agent, fs::perms::owner_all, fs::perm_options::add);
  // The verify command prints them too, from base64 (the command itself is in the prompt and the config: the
  // user's own text, not a channel an agent fills).
  std::string b64 = run_shell("printf '%s' '" + all + "' | base64 -w0").output;
  std::string cfg = f.dir() + "/planted.yaml";
  std::ofstream(cfg) << "name: planted\n"
                        "target:\n  repo: repo\n  bug: state.txt says bug\n"
                        "verify:\n  command: \"echo " << b64 << " | base64 -d; echo " << b64
                     << " | base64 -d >&2; ./verify.sh\"\n"
                        "  protected: [verify.sh]\n"
                        "generations: 1\npopulation: 1\nconcurrency: 1\n"
                        "runner:\n  command: [\"" << agent << "\"]\n  format: jsonl\n"
                        "  env:\n    PLANTED_API_KEY: \"${PLANTED_API_KEY}\"\n";
  std::string run = f.dir() + "/run";
  auto r = run_shell("CI=true PLANTED_API_KEY=" + kSecrets[0] + " " + std::string(HARNESS_BINARY) + " run " + cfg +
                     " --run-dir " + run);
  ASSERT_EQ(r.exit_code, 1) << r.output;  // no fix
  ASSERT_FALSE(read_file(run + "/gen-001/agent-01/stderr.log").empty());
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(run)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    std::string bytes = read_file(entry.path().string());
    for (const auto& secret : kSecrets)
      EXPECT_EQ(bytes.find(secret), std::string::npos) << secret << " in " << entry.path();
  }
  EXPECT_GT(files, 8);
  for (const auto& secret : kSecrets) EXPECT_EQ(r.output.find(secret), std::string::npos) << secret << " on the console";
}

}  // namespace
