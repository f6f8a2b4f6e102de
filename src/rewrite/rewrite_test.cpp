// Tests for alias list splitting (expansion is covered end to end in
// tests/e2e/test_rewrite.py with real tables).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "rewrite/alias_list.h"

using tern::rewrite::split_alias_list;

TEST(AliasList, Split) {
  using V = std::vector<std::string>;
  EXPECT_EQ(*split_alias_list("a, b,c"), (V{"a", "b", "c"}));
  EXPECT_EQ(*split_alias_list("\"|/bin/cmd a,b\", /var/x"), (V{"|/bin/cmd a,b", "/var/x"}));
  EXPECT_EQ(*split_alias_list(" , ,"), V{});
  EXPECT_EQ(*split_alias_list(":include:/etc/list"), (V{":include:/etc/list"}));
}

TEST(AliasList, UnclosedQuoteIsAnErrorNotAJoinedCommand) {
  // Read as "to the end", this would be one command "|/bin/a |/bin/b".
  auto r = split_alias_list("\"|/bin/a, |/bin/b");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("not closed"), std::string::npos);
  EXPECT_FALSE(split_alias_list("a, b\"\"\""));
  EXPECT_TRUE(split_alias_list("a, \"b\"\"\""));
}

// As Postfix's address parser: blanks separate items too (an entry
// continued on the next line is joined with a blank: two members, not one
// address "root daemon"); comments go; "Name <addr>" is addr.
TEST(AliasList, BlanksCommentsAndNamedAddresses) {
  using V = std::vector<std::string>;
  EXPECT_EQ(*split_alias_list("root daemon"), (V{"root", "daemon"}));
  EXPECT_EQ(*split_alias_list("alice@a.example bob@b.example"), (V{"alice@a.example", "bob@b.example"}));
  EXPECT_EQ(*split_alias_list("root (the admin), Root Person <root@x.example>, ops"),
            (V{"root", "root@x.example", "ops"}));
  EXPECT_EQ(*split_alias_list(":include: /etc/list, :INCLUDE:/b"), (V{":include:/etc/list", ":INCLUDE:/b"}));
  EXPECT_EQ(*split_alias_list("\"|/usr/bin/procmail\" -a list"), (V{"|/usr/bin/procmail", "-a", "list"}));
  EXPECT_EQ(*split_alias_list("\"|/usr/bin/vacation -a x\""), V{"|/usr/bin/vacation -a x"});
  EXPECT_EQ(*split_alias_list("a (nested (comment)) b"), (V{"a", "b"}));
  EXPECT_FALSE(split_alias_list("root (unclosed"));
  EXPECT_FALSE(split_alias_list("Name <root"));
}

// Inside quotes a backslash keeps the next character: an escaped quote
// neither ends the quoted part (which would make the rest a file target)
// nor counts as a quote left open.
TEST(AliasList, BackslashInsideQuotesKeepsTheCharacter) {
  using V = std::vector<std::string>;
  auto r = split_alias_list("\"|/bin/logger \\\"a,/tmp/evil\\\"\", bob");
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(*r, (V{"|/bin/logger \"a,/tmp/evil\"", "bob"}));
  ASSERT_TRUE(split_alias_list("\"|/usr/bin/printf \\\"x\""));
  EXPECT_EQ(*split_alias_list("\"|/usr/bin/printf \\\"x\""), V{"|/usr/bin/printf \"x"});
  EXPECT_EQ(*split_alias_list("\"a\\\\b\""), V{"a\\b"});
  // Outside quotes the backslash stays (\user: the user's own mailbox).
  EXPECT_EQ(*split_alias_list("\\alice, bob"), (V{"\\alice", "bob"}));
}

#include "config/config.h"
#include "rewrite/rewriter.h"

namespace {

std::shared_ptr<tern::rewrite::Rewriter> rewriter_with(const std::string& extra) {
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
  auto rw = rewriter_with("");
  using tern::mail::DomainClass;
  EXPECT_EQ(rw->classify("LOCAL.example."), DomainClass::local);
  EXPECT_EQ(rw->classify("alias.example"), DomainClass::virtual_alias);
  EXPECT_EQ(rw->classify("backup.example"), DomainClass::relay);
  EXPECT_EQ(rw->classify("elsewhere.example"), DomainClass::remote);
}

TEST(Rewriter, VirtualAliasCatchAllAndExtensions) {
  auto rw = rewriter_with("virtual_alias_maps = inline:{ info@alias.example=a@elsewhere.example, "
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
  auto rw = rewriter_with("alias_maps = inline:{ a=b, b=a, pipe=|/bin/cat }\n");
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
  // An entry with a quote left open defers (4.3.0), naming the entry.
  std::string table = ::testing::TempDir() + "tern-odd-aliases";
  std::ofstream(table) << "odd: \"|/bin/cat, /tmp/x\n";
  auto odd = rewriter_with("alias_maps = texthash:" + table + "\n")->expand("odd@local.example");
  std::remove(table.c_str());
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().dsn, "4.3.0");
  EXPECT_NE(odd.error().detail.find("alias entry for odd"), std::string::npos) << odd.error().detail;
  // A client-sent "|cmd" local part is a name nobody has, never a command.
  auto sneaky = rw->expand("\"|/bin/sh\"@local.example");
  EXPECT_FALSE(sneaky);
}

namespace {

std::vector<std::string> addresses(const std::shared_ptr<tern::rewrite::Rewriter>& rw, const std::string& rcpt) {
  auto t = rw->expand(rcpt);
  EXPECT_TRUE(t) << rcpt << ": " << (t ? "" : t.error().detail);
  std::vector<std::string> out;
  if (t)
    for (auto& x : *t) out.push_back(x.address);
  return out;
}

// An alias file a1: a2, a2: a3, ... a<n>: end@elsewhere.example.
std::string alias_chain(int n) {
  std::string path = ::testing::TempDir() + "/chain-" + std::to_string(n) + ".aliases";
  FILE* f = std::fopen(path.c_str(), "w");
  for (int i = 1; i < n; ++i) std::fprintf(f, "a%d: a%d\n", i, i + 1);
  std::fprintf(f, "a%d: end@elsewhere.example\n", n);
  std::fclose(f);
  return "alias_maps = texthash:" + path + "\n";
}

}  // namespace

TEST(Rewriter, VirtualPropagatesUnmatchedExtensionByDefault) {
  using V = std::vector<std::string>;
  const std::string table = "virtual_alias_maps = inline:{ info@alias.example=a@elsewhere.example, "
                            "@alias.example=b@elsewhere.example, { list@alias.example = x@elsewhere.example, y@other.example } }\n";
  auto rw = rewriter_with(table);
  EXPECT_EQ(addresses(rw, "info+tag@alias.example"), V{"a+tag@elsewhere.example"});
  EXPECT_EQ(addresses(rw, "info@alias.example"), V{"a@elsewhere.example"});
  EXPECT_EQ(addresses(rw, "list+t@alias.example"), (V{"x+t@elsewhere.example", "y+t@other.example"}));
  // The catch-all matched nothing of the local part: nothing to propagate.
  EXPECT_EQ(addresses(rw, "other+tag@alias.example"), V{"b@elsewhere.example"});
  auto off = rewriter_with(table + "propagate_unmatched_extensions = canonical\n");
  EXPECT_EQ(addresses(off, "info+tag@alias.example"), V{"a@elsewhere.example"});
}

TEST(Rewriter, AliasPropagatesOnlyWhenListed) {
  using V = std::vector<std::string>;
  const std::string table = "alias_maps = inline:{ a=b@elsewhere.example, a+exact=c@elsewhere.example }\n";
  auto rw = rewriter_with(table);
  EXPECT_EQ(addresses(rw, "a+x@local.example"), V{"b@elsewhere.example"});
  auto on = rewriter_with(table + "propagate_unmatched_extensions = canonical, virtual, alias\n");
  EXPECT_EQ(addresses(on, "a+x@local.example"), V{"b+x@elsewhere.example"});
  EXPECT_EQ(addresses(on, "a@local.example"), V{"b@elsewhere.example"});
  // A key that matched the extension leaves none over.
  EXPECT_EQ(addresses(on, "a+exact@local.example"), V{"c@elsewhere.example"});
}

TEST(Rewriter, AliasRecursionLimit) {
  using V = std::vector<std::string>;
  EXPECT_EQ(addresses(rewriter_with(alias_chain(5) + "alias_recursion_limit = 5\n"), "a1@local.example"),
            V{"end@elsewhere.example"});
  auto over = rewriter_with(alias_chain(5) + "alias_recursion_limit = 4\n")->expand("a1@local.example");
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().dsn, "5.4.6");
  EXPECT_NE(over.error().detail.find("alias database loop"), std::string::npos) << over.error().detail;
  // Alias nesting is not counted against virtual_alias_recursion_limit (100).
  EXPECT_EQ(addresses(rewriter_with(alias_chain(150)), "a1@local.example"), V{"end@elsewhere.example"});
}

namespace {

std::string write_file(const std::string& path, std::string_view text, mode_t mode = 0644) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(text.data(), static_cast<std::streamsize>(text.size()));
  ::chmod(path.c_str(), mode);
  return path;
}

}  // namespace

// An alias or virtual alias that names nobody defers (Postfix: "no recipient
// in alias lookup result") instead of dropping the mail unseen; an empty
// :include: file is an empty list, as in Postfix.
TEST(Rewriter, AliasNamingNobodyDefers) {
  std::string dir = ::testing::TempDir() + "tern-alias-XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  write_file(dir + "/empty.list", "# nobody yet\n");
  write_file(dir + "/aliases", "quotes: \"\"\ncommas: , ,\nlist: :include:" + dir + "/empty.list\n");
  write_file(dir + "/virtual", "v@alias.example ,\n");
  auto rw = rewriter_with("alias_maps = texthash:" + dir + "/aliases\nvirtual_alias_maps = texthash:" + dir + "/virtual\n");
  for (const char* who : {"quotes@local.example", "commas@local.example", "v@alias.example"}) {
    auto r = rw->expand(who);
    ASSERT_FALSE(r) << who;
    EXPECT_EQ(r.error().dsn, "4.3.0") << who;
    EXPECT_NE(r.error().detail.find("no recipient"), std::string::npos) << r.error().detail;
  }
  auto list = rw->expand("list@local.example");
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty());
  std::filesystem::remove_all(dir);
}

// :include: files: a relative path, a directory and a file anyone may write
// to are refused (5.3.5); a line with a NUL is skipped, the others used.
TEST(Rewriter, IncludeFilesAreChecked) {
  std::string dir = ::testing::TempDir() + "tern-alias-XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  write_file(dir + "/ww.list", "root\n", 0666);
  write_file(dir + "/nul.list", std::string("bad\0user\nroot\n", 14));
  write_file(dir + "/aliases", "rel: :include:rel.list\nww: :include:" + dir + "/ww.list\ndir: :include:" + dir +
                                   "\nnul: :include:" + dir + "/nul.list\n");
  auto rw = rewriter_with("alias_maps = texthash:" + dir + "/aliases\n");
  for (auto [who, why] : {std::pair{"rel@local.example", "absolute"}, {"ww@local.example", "writable by anyone"},
                          {"dir@local.example", "not a regular file"}}) {
    auto r = rw->expand(who);
    ASSERT_FALSE(r) << who;
    EXPECT_EQ(r.error().dsn, "5.3.5") << who;
    EXPECT_NE(r.error().detail.find(why), std::string::npos) << r.error().detail;
  }
  auto nul = rw->expand("nul@local.example");
  ASSERT_TRUE(nul) << nul.error().detail;
  ASSERT_EQ(nul->size(), 1u);
  EXPECT_EQ((*nul)[0].address, "root@local.example");
  std::filesystem::remove_all(dir);
}

// One member that cannot be delivered to for good (an unknown user) is a
// failed target of its own; the others are delivered, as in Postfix. A
// recipient that is itself unknown is still an error.
TEST(Rewriter, UnknownMemberFailsAloneNotTheWholeAlias) {
  std::string dir = ::testing::TempDir() + "tern-alias-XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  write_file(dir + "/aliases", "staff: root, nosuch-tern-user, someone@elsewhere.example\n");
  write_file(dir + "/virtual", "v@alias.example root@local.example, gone-tern-user@local.example\n");
  auto rw = rewriter_with("alias_maps = texthash:" + dir + "/aliases\nvirtual_alias_maps = texthash:" + dir + "/virtual\n");
  using K = tern::rewrite::Target::Kind;
  auto staff = rw->expand("staff@local.example");
  ASSERT_TRUE(staff) << staff.error().detail;
  ASSERT_EQ(staff->size(), 3u);
  EXPECT_EQ((*staff)[0].kind, K::local_user);
  EXPECT_EQ((*staff)[1].kind, K::failed);
  EXPECT_EQ((*staff)[1].address, "nosuch-tern-user@local.example");
  EXPECT_EQ((*staff)[1].dsn, "5.1.1");
  EXPECT_EQ((*staff)[2].kind, K::remote);
  auto v = rw->expand("v@alias.example");
  ASSERT_TRUE(v) << v.error().detail;
  ASSERT_EQ(v->size(), 2u);
  EXPECT_EQ((*v)[1].kind, K::failed);
  EXPECT_EQ((*v)[1].address, "gone-tern-user@local.example");
  auto nobody = rw->expand("nosuch-tern-user@local.example");
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().dsn, "5.1.1");
  std::filesystem::remove_all(dir);
}
