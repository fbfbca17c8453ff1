// Timestamps outside what epoch nanoseconds in an int64 can hold are refused, never overflowed: agents' lines
// (and garbled ones) reach parse_iso8601_ns from every decoder. Found by fuzzing the Claude decoders under UBSan.
#include <gtest/gtest.h>

#include "trace/time_parse.h"

TEST(TimeRange, YearsOutsideInt64NanosecondsAreRefused) {
  EXPECT_EQ(trace::parse_iso8601_ns("0000-01-01T00:00:00Z"), std::nullopt);
  EXPECT_EQ(trace::parse_iso8601_ns("1677-12-31T23:59:59Z"), std::nullopt);
  EXPECT_EQ(trace::parse_iso8601_ns("2262-01-01T00:00:00Z"), std::nullopt);
  // date -u -d 1678-01-01 +%s -> -9214560000; date -u -d 2261-12-31T23:59:59 +%s -> 9214646399
  EXPECT_EQ(trace::parse_iso8601_ns("1678-01-01T00:00:00Z"), -9214560000LL * 1000000000LL);
  EXPECT_EQ(trace::parse_iso8601_ns("2261-12-31T23:59:59Z"), 9214646399LL * 1000000000LL);
}
