// Redaction rules, one by one, with the exact text that is stored: prefixed tokens, Bearer values, values of
// secret-named variables (plain, quoted, JSON-in-JSON), word boundaries and JSON escapes, and what must stay.
#include "trace/redact.h"

#include <gtest/gtest.h>

namespace trace {
namespace {

struct Case {
  const char* in;
  const char* out;
  size_t count;
};

TEST(Redact, EachRuleGivesItsKind) {
  const Case cases[] = {
      {"key sk-ant-api03-abcdefgh12345678 end", "key [REDACTED:anthropic_key] end", 1},
      {"sk-proj-abcdefgh1234", "[REDACTED:openai_key]", 1},
      {"use sk-abcdefghijklmnop now", "use [REDACTED:api_key] now", 1},
      {"ghp_abcdefghijklmnopqrst1", "[REDACTED:github_token]", 1},
      {"github_pat_11ABCDEFG0123456789abc", "[REDACTED:github_token]", 1},
      {"xoxb-1234567890-abc", "[REDACTED:slack_token]", 1},
      {"id=AKIAABCDEFGHIJKLMNOP.", "id=[REDACTED:aws_access_key].", 1},
      {"curl -H 'x: Bearer abcdefgh123'", "curl -H 'x: Bearer [REDACTED:bearer]'", 1},
      {"BASIC dXNlcjpwYXNzd29yZA==", "BASIC [REDACTED:bearer]", 1},
      {"export OPENAI_API_KEY=abcd1234xyz; ls", "export OPENAI_API_KEY=[REDACTED:secret]; ls", 1},
      {"Authorization: Bearer abcdefgh123", "Authorization: Bearer [REDACTED:secret]", 1},
      {"\"DB_PASSWORD\": \"hunter22\"", "\"DB_PASSWORD\": \"[REDACTED:secret]\"", 1},
      {"{\\\"gh_token\\\":\\\"abcdef\\\"}", "{\\\"gh_token\\\":\\\"[REDACTED:secret]\\\"}", 1},
      {"two ghp_abcdefghijklmnopqrst1 and sk-abcdefghijklmnop", "two [REDACTED:github_token] and [REDACTED:api_key]",
       2},
      {"jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U.",
       "jwt [REDACTED:jwt].", 1},
      {"unsigned eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4eHh4In0. ok", "unsigned [REDACTED:jwt] ok", 1},
      {"key: -----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEA\\n-----END RSA PRIVATE KEY-----\\n done",
       "key: [REDACTED:private_key]\\n done", 1},
      {"cut -----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkq", "cut [REDACTED:private_key]", 1},
      // Look-alikes stay: a word starting eyJ without the dotted parts, a public key, markdown rules.
      {"eyJustAWord and eyJhbGciOiJIUzI1NiJ9 alone", "eyJustAWord and eyJhbGciOiJIUzI1NiJ9 alone", 0},
      {"-----BEGIN PUBLIC KEY-----\\nMIIBIjAN", "-----BEGIN PUBLIC KEY-----\\nMIIBIjAN", 0},
      {"----- notes -----", "----- notes -----", 0},
  };
  for (const Case& c : cases) {
    std::string text = c.in;
    EXPECT_EQ(redact_in_place(text), c.count) << c.in;
    EXPECT_EQ(text, c.out) << c.in;
  }
}

TEST(Redact, SecretsAfterJsonEscapesAreFound) {
  std::string text = "output\\nsk-ant-api03-abcdefgh12345678\\tAKIAABCDEFGHIJKLMNOP";
  EXPECT_EQ(redact_in_place(text), 2u);
  EXPECT_EQ(text, "output\\n[REDACTED:anthropic_key]\\t[REDACTED:aws_access_key]");
}

TEST(Redact, OrdinaryTextStaysByteForByte) {
  const char* kept[] = {
      "task-abcdefghijklmnopqrstuvwxyz",     // a prefix inside a longer word
      "sk-short",                            // too short a tail
      "FOO_TOKEN=1",                         // trivially short value
      "MONKEY=banana split",                 // not a secret's name
      "AKIAabcdefghijklmnop",                // not 16 upper-case letters or digits
      "Bearer abc",                          // too short a token
      "the secret is out",                   // a name without a value
      "caf\xC3\xA9 \xE2\x9C\x93 \xFF\xFE",  // UTF-8 and stray bytes
      "API_KEY=[REDACTED:secret]",           // already redacted
  };
  for (const char* k : kept) {
    std::string text = k;
    EXPECT_EQ(redact_in_place(text), 0u) << k;
    EXPECT_EQ(text, k);
  }
}

TEST(Redact, SecretNames) {
  for (const char* yes : {"AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "my_password", "OPENAI_APIKEY", "GH_PAT",
                          "Authorization", "x-api-key", "client_secret"})
    EXPECT_TRUE(is_secret_name(yes)) << yes;
  for (const char* no : {"PATH", "HOME", "KEYBOARD", "TOKENIZER", "ab", "PATTERN"})
    EXPECT_FALSE(is_secret_name(no)) << no;
}

}  // namespace
}  // namespace trace
