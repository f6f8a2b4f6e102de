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

#include "config/config.h"
#include "rewrite/rewriter.h"

namespace {

std::shared_ptr<tern::rewrite::Rewriter> make(const std::string& extra) {
  auto cfg = tern::config::load_string(
      "myhostname = mx.example\nmydomain = example\nmyorigin = local.example\n"
      "mydestination = local.example\nvirtual_alias_domains = alias.example\n"
      "relay_domains = backup.example\nrecipient_delimiter = +\n" + extra,
      "test.cf");
  EXPECT_TRUE(cfg.ok());
  auto rw = tern::rewrite::Rewriter::create(cfg.config, nullptr);
  EXPECT_TRUE(rw.ok()) << (rw.ok() ? "" : rw.error().detail);
  return rw.ok() ? *rw : nullptr;
}

}  // namespace

TEST(Rewriter, ClassifiesDomains) {
  auto rw = make("");
  using tern::mail::DomainClass;
  EXPECT_EQ(rw->classify("LOCAL.example."), DomainClass::local);
  EXPECT_EQ(rw->classify("alias.example"), DomainClass::virtual_alias);
  EXPECT_EQ(rw->classify("backup.example"), DomainClass::relay);
  EXPECT_EQ(rw->classify("elsewhere.example"), DomainClass::remote);
}

TEST(Rewriter, VirtualAliasCatchAllAndExtensions) {
  auto rw = make("virtual_alias_maps = inline:{ info@alias.example=a@elsewhere.example, "
                 "@alias.example=b@elsewhere.example, x@alias.example=x@alias.example }\n");
  auto t = rw->expand("info@alias.example");
  ASSERT_TRUE(t);
  ASSERT_EQ(t->size(), 1u);
  EXPECT_EQ((*t)[0].address, "a@elsewhere.example");
  EXPECT_EQ((*t)[0].kind, tern::rewrite::Target::Kind::remote);
  auto c = rw->expand("Anyone+tag@ALIAS.example");
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)[0].address, "b@elsewhere.example");
  EXPECT_TRUE(rw->validate("whoever@alias.example"));
  // A self-referencing entry in a virtual alias domain has no mailbox behind it.
  auto self = rw->expand("x@alias.example");
  EXPECT_FALSE(self);
  EXPECT_EQ(self.error().dsn, "5.1.1");
}

TEST(Rewriter, AliasLoopIs546AndUnknownIs511) {
  auto rw = make("alias_maps = inline:{ a=b, b=a, pipe=|/bin/cat }\n");
  auto loop = rw->expand("a@local.example");
  ASSERT_FALSE(loop);
  EXPECT_EQ(loop.error().dsn, "5.4.6");
  auto pipe = rw->expand("pipe@local.example");
  ASSERT_TRUE(pipe);
  EXPECT_EQ((*pipe)[0].kind, tern::rewrite::Target::Kind::command);
  EXPECT_EQ((*pipe)[0].command, "/bin/cat");
  auto unknown = rw->validate("no-such-user-for-tern@local.example");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().dsn, "5.1.1");
  // A client-sent "|cmd" local part is a name nobody has, never a command.
  auto sneaky = rw->expand("\"|/bin/sh\"@local.example");
  EXPECT_FALSE(sneaky);
}
