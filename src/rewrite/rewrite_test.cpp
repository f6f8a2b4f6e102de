// Tests for alias list splitting (expansion is covered end to end in
// tests/e2e/test_rewrite.py with real tables).
#include <gtest/gtest.h>

#include "rewrite/alias_list.h"

using tern::rewrite::split_alias_list;

TEST(AliasList, Split) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split_alias_list("a, b,c"), (V{"a", "b", "c"}));
  EXPECT_EQ(split_alias_list("\"|/bin/cmd a,b\", /var/x"), (V{"|/bin/cmd a,b", "/var/x"}));
  EXPECT_EQ(split_alias_list(" , ,"), V{});
  EXPECT_EQ(split_alias_list(":include:/etc/list"), (V{":include:/etc/list"}));
}
