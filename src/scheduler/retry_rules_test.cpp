// Tests of retry_rules (retry_rules.h, retry_failure.h): the parser's
// accepted and refused values, rule matching, Exim's F/G/H arithmetic with
// an injected random source, and the reading of deferral reasons.
#include "scheduler/retry_rules.h"

#include <gtest/gtest.h>

#include "scheduler/retry_failure.h"

using namespace tern;
using namespace tern::scheduler::retry;

namespace {

Rules must_parse(std::string_view v) {
  auto r = parse(v);
  EXPECT_TRUE(r) << v << ": " << (r ? "" : r.error().detail);
  return r ? *r : Rules{};
}

Failure refused() { return {Failure::Kind::refused, Failure::Stage::none, 0}; }

TEST(RetryRules, TimesInEximUnits) {
  struct Case {
    const char* text;
    long long seconds;  // -1: refused
  } cases[] = {
      {"15m", 900}, {"2h", 7200},  {"1h30m", 5400}, {"4d", 345600}, {"1w", 604800}, {"90s", 90},
      {"1d12h", 129600}, {"0s", 0}, {"15", -1},     {"", -1},       {"m", -1},      {"1y", -1},
      {"1h 30m", -1}, {"99999999999999999999s", -1}, {"523w", -1}, {"522w", 522LL * 7 * 86400},  {"-1h", -1},
  };
  for (auto& c : cases) {
    auto t = parse_time(c.text);
    if (c.seconds < 0) {
      EXPECT_FALSE(t) << c.text;
      continue;
    }
    ASSERT_TRUE(t) << c.text << ": " << t.error().detail;
    EXPECT_EQ(*t, c.seconds) << c.text;
  }
}

TEST(RetryRules, EximDefaultRuleParses) {
  auto rules = must_parse("* * F,2h,15m; G,16h,1h,1.5; F,4d,6h");
  ASSERT_EQ(rules.size(), 1u);
  auto& r = rules[0];
  EXPECT_EQ(r.domain, "*");
  ASSERT_EQ(r.sets.size(), 3u);
  EXPECT_EQ(r.sets[0].algorithm, 'F');
  EXPECT_EQ(r.sets[0].cutoff_s, 7200);
  EXPECT_EQ(r.sets[0].interval_s, 900);
  EXPECT_EQ(r.sets[1].algorithm, 'G');
  EXPECT_DOUBLE_EQ(r.sets[1].factor, 1.5);
  EXPECT_EQ(r.final_cutoff_s(), 4 * 86400);
  EXPECT_EQ(r.text, "* * F,2h,15m ; G,16h,1h,1.5 ; F,4d,6h");
}

TEST(RetryRules, ContinuationLinesMakeSeveralRules) {
  // What main.cf hands over after joining continuation lines with spaces.
  auto rules = must_parse("example.net refused F,1h,5m   *.example.org rcpt_45x G,1d,10m,2;F,2d,1h "
                          "*@example.com * \t * * F,4d,1h");
  ASSERT_EQ(rules.size(), 4u);
  EXPECT_EQ(rules[0].domain, "example.net");
  EXPECT_EQ(rules[1].domain, "*.example.org");
  EXPECT_EQ(rules[1].sets.size(), 2u);
  EXPECT_EQ(rules[2].domain, "example.com");  // *@ is Exim's address form
  EXPECT_TRUE(rules[2].sets.empty());         // no set: never retried
  EXPECT_EQ(rules[3].sets.size(), 1u);
  EXPECT_TRUE(must_parse("").empty());
  EXPECT_TRUE(must_parse("   ").empty());
}

TEST(RetryRules, RefusedValuesSayWhy) {
  struct Case {
    const char* value;
    const char* says;
  } cases[] = {
      {"* * F,2h,15m;", "must be followed by another parameter set"},
      {"* * F,2h,15m; * * F,1d,1h", "must be followed by another parameter set"},
      {"F,2h,15m", "where a domain pattern was expected"},
      {"* F,2h,15m", "error type is missing"},
      {"*", "error type is missing"},
      {"* refused_MX F,1h,5m", "use 'refused'"},
      {"* timeout_connect_A F,1h,5m", "use 'timeout_connect'"},
      {"* quota_7d F,1h,5m", "use 'quota'"},
      {"* refuse F,1h,5m", "did you mean 'refused'"},
      {"* rcpt_5xx F,1h,5m", "rcpt_4xx"},
      {"* rcpt_4x1 F,1h,5m", "rcpt_4xx"},
      {"* * senders=: F,1h,5m", "senders="},
      {"user@example.com * F,1h,5m", "by domain only"},
      {"^.*\\.com * F,1h,5m", "by domain only"},
      {"+relay_domains * F,1h,5m", "by domain only"},
      {"exa!mple.com * F,1h,5m", "not a domain pattern"},
      {"* * F,2h", "F,<cutoff>,<interval>"},
      {"* * G,2h,1h", "G,<cutoff>,<interval>,<factor>"},
      {"* * f,2h,15m", "upper case"},
      {"* * F,2h,15", "needs a unit"},
      {"* * F,2h,0s", "at least 1s"},
      {"* * G,2h,1h,0.5", "must not shrink"},
      {"* * G,2h,1h,x", "not a number"},
      {"* * H,2h,1h,1e9", "not a number"},
      {"* * F,4d,1h; F,2h,15m", "must increase"},
      {"* * F,2h,15m; F,2h,1h", "must increase"},
      {"* * F,2h,15m ;; F,4d,1h", "must be followed by another parameter set"},
      {"; * * F,1h,1m", "where a domain pattern was expected"},
  };
  for (auto& c : cases) {
    auto r = parse(c.value);
    ASSERT_FALSE(r) << c.value;
    EXPECT_NE(r.error().detail.find(c.says), std::string::npos) << c.value << " -> " << r.error().detail;
  }
}

TEST(RetryRules, ConfigErrorNamesFileLineAndParameter) {
  auto loaded = config::load_string("myhostname = a.example\nretry_rules = * * F,2h,15m;\n", "main.cf");
  ASSERT_TRUE(loaded.ok());
  auto r = parse(*loaded.config);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().detail.rfind("main.cf:2: retry_rules: rule 1: ", 0), 0u) << r.error().detail;
  auto fine = config::load_string("retry_rules = * * F,2h,15m\n  example.com * F,1h,1m\n", "main.cf");
  ASSERT_TRUE(fine.ok());
  auto rules = parse(*fine.config);
  ASSERT_TRUE(rules) << rules.error().detail;
  EXPECT_EQ(rules->size(), 2u);
}

TEST(RetryRules, FirstMatchingRuleWins) {
  auto rules = must_parse("*.example.org timeout F,1h,1m  example.com rcpt_45x F,1h,2m  example.com * F,1h,3m "
                          "* refused F,1h,4m  * * F,1h,5m");
  auto pick = [&](const char* domain, Failure f) {
    auto* r = find_rule(rules, domain, f);
    return r ? r->sets[0].interval_s / 60 : 0;
  };
  Failure rcpt451{Failure::Kind::reply_4xx, Failure::Stage::rcpt, 451};
  Failure rcpt421{Failure::Kind::reply_4xx, Failure::Stage::rcpt, 421};
  Failure mail451{Failure::Kind::reply_4xx, Failure::Stage::mail, 451};
  Failure connect_timeout{Failure::Kind::timeout_connect, Failure::Stage::none, 0};
  EXPECT_EQ(pick("mx.example.org", connect_timeout), 1);  // timeout covers timeout_connect
  EXPECT_EQ(pick("example.org", connect_timeout), 5);     // *.example.org is subdomains only
  EXPECT_EQ(pick("badexample.org", connect_timeout), 5);
  EXPECT_EQ(pick("example.com", rcpt451), 2);
  EXPECT_EQ(pick("example.com", rcpt421), 3);
  EXPECT_EQ(pick("example.com", mail451), 3);
  EXPECT_EQ(pick("other.test", refused()), 4);
  EXPECT_EQ(pick("other.test", Failure{}), 5);
  EXPECT_EQ(find_rule(must_parse("example.com * F,1h,1m"), "other.test", refused()), nullptr);
}

TEST(RetryRules, FixedIntervalsUntilTheCutoff) {
  auto rule = must_parse("* * F,2h,15m; F,4d,6h")[0];
  struct Case {
    long long age_s, delay_s;
    bool give_up;
  } cases[] = {
      {0, 900, false},           {7199, 900, false},
      {7200, 21600, false},      {4 * 86400 - 3600, 3600, false},  // capped at the final cutoff
      {4 * 86400 - 1, 1, false}, {4 * 86400, 0, true},
      {10 * 86400, 0, true},     {-5, 900, false},
  };
  for (auto& c : cases) {
    auto s = next_retry(rule, c.age_s, 0, nullptr);
    EXPECT_EQ(s.give_up, c.give_up) << c.age_s;
    if (!c.give_up) {
      EXPECT_EQ(s.delay_s, c.delay_s) << c.age_s;
    }
  }
}

TEST(RetryRules, GeometricIntervalsGrowByTheFactor) {
  auto rule = must_parse("* * F,2h,15m; G,16h,1h,1.5; F,4d,6h")[0];
  long long age = 7200, previous = 900;  // leaving the F set
  std::vector<long long> seen;
  while (age < 16 * 3600) {
    auto s = next_retry(rule, age, previous, nullptr);
    ASSERT_FALSE(s.give_up);
    seen.push_back(s.delay_s);
    previous = s.delay_s;
    age += s.delay_s;
  }
  // The previous interval (15m) is below 1h, so G starts at 1h; then x1.5,
  // until an attempt falls past the set's cutoff (16h).
  std::vector<long long> want = {3600, 5400, 8100, 12150, 18225, 27337};
  EXPECT_EQ(seen, want);
  EXPECT_EQ(next_retry(rule, age, previous, nullptr).delay_s, 21600);  // the last F set
  // No previous interval known (a restart): G begins again at its interval.
  EXPECT_EQ(next_retry(rule, 10 * 3600, 0, nullptr).delay_s, 3600);
}

TEST(RetryRules, HeuristicDrawsFromTheUpperHalf) {
  auto rule = must_parse("* * H,30d,1h,2")[0];
  long long asked = -1;
  auto lowest = [&](long long bound) {
    asked = bound;
    return 0LL;
  };
  auto highest = [&](long long bound) { return bound - 1; };
  // previous 2h -> grown 4h; between 1h and 4h, upper half: [2h30m, 4h).
  EXPECT_EQ(next_retry(rule, 0, 7200, lowest).delay_s, 3600 + 5400);
  EXPECT_EQ(asked, 3 * 3600);
  EXPECT_EQ(next_retry(rule, 0, 7200, highest).delay_s, 3600 + 5400 + (3 * 3600 - 1) / 2);
  // Nothing grown beyond the interval: exactly the interval, no draw.
  asked = -1;
  EXPECT_EQ(next_retry(rule, 0, 0, lowest).delay_s, 3600);
  EXPECT_EQ(next_retry(rule, 0, 1800, lowest).delay_s, 3600);
  EXPECT_EQ(asked, -1);
  // A random source out of range is not trusted.
  EXPECT_EQ(next_retry(rule, 0, 7200, [](long long) { return -7LL; }).delay_s, 3600 + 5400);
}

TEST(RetryRules, NoSetMeansGiveUpAtOnce) {
  auto rule = must_parse("example.com *")[0];
  EXPECT_TRUE(next_retry(rule, 0, 0, nullptr).give_up);
}

TEST(RetryRules, HugeValuesDoNotOverflow) {
  auto rule = must_parse("* * G,520w,500w,100")[0];
  auto s = next_retry(rule, 0, max_time_s, nullptr);
  EXPECT_FALSE(s.give_up);
  EXPECT_GT(s.delay_s, 0);
  EXPECT_LE(s.delay_s, rule.final_cutoff_s());
}

TEST(RetryFailure, ReasonsAsTernLogsThem) {
  using K = Failure::Kind;
  using S = Failure::Stage;
  struct Case {
    const char* reason;
    const char* dsn;
    K kind;
    S stage;
    int code;
  } cases[] = {
      {"connect to 127.0.0.1[127.0.0.1]:2525: Connection refused", "4.4.1", K::refused, S::none, 0},
      {"connect to mx.example.com[192.0.2.1]:25: Connection timed out", "4.4.1", K::timeout_connect, S::none, 0},
      {"connect to mx.example.com[192.0.2.1]:25: No route to host", "4.4.1", K::other, S::none, 0},
      {"delivery temporarily suspended: connect to a[127.0.0.1]:25: Connection refused", "4.4.1", K::refused, S::none, 0},
      {"conversation with mx[192.0.2.1] timed out while receiving the initial server greeting", "4.4.2", K::timeout, S::none, 0},
      {"lost connection with mx[192.0.2.1] while sending RCPT TO", "4.4.2", K::lost_connection, S::none, 0},
      {"host mx[192.0.2.1] said: 451 4.3.0 try later (in reply to RCPT TO command)", "4.3.0", K::reply_4xx, S::rcpt, 451},
      {"host mx[192.0.2.1] said: 452 4.2.2 full (in reply to MAIL FROM command)", "4.2.2", K::reply_4xx, S::mail, 452},
      {"host mx[192.0.2.1] said: 421 4.4.2 bye (in reply to end of DATA command)", "4.4.2", K::reply_4xx, S::data, 421},
      {"host mx[192.0.2.1] said: 451 x (in reply to DATA command)", "4.0.0", K::reply_4xx, S::data, 451},
      {"host mx[192.0.2.1] said: 550 no (in reply to RCPT TO command)", "5.0.0", K::other, S::none, 0},
      {"host mx[192.0.2.1] said: 4x1 no (in reply to RCPT TO command)", "4.0.0", K::other, S::none, 0},
      {"host mx[192.0.2.1] said: 451 (in reply to HELO command)", "4.0.0", K::other, S::none, 0},
      {"SASL authentication failed; server a said: 454 no", "4.7.0", K::auth_failed, S::none, 0},
      {"TLS is required, but was not offered by host a", "4.7.4", K::tls_required, S::none, 0},
      {"Cannot start TLS: handshake failure with a (x)", "4.7.5", K::tls_required, S::none, 0},
      {"mailbox full", "4.2.2", K::quota, S::none, 0},
      {"Host or domain name not found. Name service error for name=x type=MX: Host not found, try again", "4.4.3",
       K::other, S::none, 0},
      {"", "", K::other, S::none, 0},
      {" said: ", "", K::other, S::none, 0},
  };
  for (auto& c : cases) {
    auto f = classify(c.reason, c.dsn);
    EXPECT_EQ(f.kind, c.kind) << c.reason;
    EXPECT_EQ(f.stage, c.stage) << c.reason;
    EXPECT_EQ(f.code, c.code) << c.reason;
  }
}

}  // namespace
