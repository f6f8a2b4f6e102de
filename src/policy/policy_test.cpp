// Tests for access-table values and lookups.
#include <gtest/gtest.h>

#include "policy/access.h"

using namespace tern::policy;

TEST(Access, Values) {
  struct Case {
    const char* value;
    Verdict::Action action;
    int code;
    const char* enhanced;
  };
  const Case cases[] = {
      {"OK", Verdict::Action::ok, 0, ""},
      {"relay", Verdict::Action::relay, 0, ""},
      {"DUNNO", Verdict::Action::dunno, 0, ""},
      {"DISCARD", Verdict::Action::discard, 0, ""},
      {"REJECT", Verdict::Action::reject, 554, "5.7.1"},
      {"REJECT go away", Verdict::Action::reject, 554, "5.7.1"},
      {"550 no thanks", Verdict::Action::reject, 550, "5.7.1"},
      {"450 4.7.0 later", Verdict::Action::reject, 450, "4.7.0"},
      {"ERROR:5.7.2:551 nope", Verdict::Action::reject, 551, "5.7.2"},
      {"ERROR:\"550 quoted\"", Verdict::Action::reject, 550, "5.7.1"},
      {"bogus", Verdict::Action::reject, 451, "4.3.0"},
      {"250 ok?", Verdict::Action::reject, 451, "4.3.0"},
  };
  for (auto& c : cases) {
    auto v = parse_access_value(c.value);
    EXPECT_EQ(v.action, c.action) << c.value;
    EXPECT_EQ(v.code, c.code) << c.value;
    EXPECT_EQ(v.enhanced, c.enhanced) << c.value;
  }
  EXPECT_EQ(parse_access_value("REJECT go away").text, "go away");
}
