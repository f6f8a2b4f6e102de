// Tests for the pure parts of ~/.forward: forward_path expansion, the
// .forward parser, the forward list in the helper's reply, and the checked
// read of the file (as the user running the test).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "config/config.h"
#include "delivery/dot_forward.h"
#include "delivery/forward_file.h"
#include "delivery/request.h"

using namespace tern;
using namespace tern::delivery;

namespace {
constexpr const char* kDefault = "$home/.forward${recipient_delimiter}${extension}, $home/.forward";
}

TEST(ForwardPath, DefaultWithAndWithoutExtension) {
  ForwardVars v{"alice", "/home/alice", "/bin/sh", "lists", "alice+lists@x", "alice", "x", "+"};
  EXPECT_EQ(expand_forward_path(kDefault, v),
            (std::vector<std::string>{"/home/alice/.forward+lists", "/home/alice/.forward"}));
  v.extension.clear();
  v.delimiter.clear();
  // ".forward" twice: harmless, the first that exists wins.
  EXPECT_EQ(expand_forward_path(kDefault, v),
            (std::vector<std::string>{"/home/alice/.forward", "/home/alice/.forward"}));
}

TEST(ForwardPath, ConditionalsAndHostileExtensions) {
  ForwardVars v{"alice", "/home/alice", "", "", "", "", "", ""};
  EXPECT_EQ(expand_forward_path("$home/.f${extension?-$extension}, /var/fw/$user, $$x", v),
            (std::vector<std::string>{"/home/alice/.f", "/var/fw/alice"}));
  EXPECT_EQ(expand_forward_path("${extension:$home/none}", v), (std::vector<std::string>{"/home/alice/none"}));
  for (const char* bad : {"/../../etc/x", "..", ".hidden", "a\nb"}) {
    v.extension = bad;
    v.delimiter = "+";
    EXPECT_EQ(expand_forward_path(kDefault, v), (std::vector<std::string>{"/home/alice/.forward"})) << bad;
  }
  v.home = "";  // no home: relative names are dropped
  EXPECT_TRUE(expand_forward_path(kDefault, v).empty());
}

TEST(ForwardPath, FromConfigRawValue) {
  auto cfg = config::load_string("forward_path = $home/.fwd-$user\nrecipient_delimiter = +\n", "main.cf");
  ASSERT_TRUE(cfg.ok());
  for (auto& d : cfg.diagnostics) EXPECT_EQ(d.message.find("$home"), std::string::npos) << d.to_string();
  ForwardVars v{"bob", "/h/bob", "", "", "", "", "", ""};
  EXPECT_EQ(forward_candidates(*cfg.config, v), (std::vector<std::string>{"/h/bob/.fwd-bob"}));
  auto def = config::load_string("", "main.cf");
  EXPECT_EQ(forward_candidates(*def.config, v).front(), "/h/bob/.forward");
}

TEST(ForwardParse, Kinds) {
  auto l = parse_forward("# comment\n\\alice, bob@example.org\n\"|/usr/bin/vacation -a x, y\"\n/var/mail/copy\n"
                         ":include: /etc/list\n<carol@example.net>\n");
  ASSERT_EQ(l.items.size(), 6u);
  EXPECT_EQ(l.items[0].kind, ForwardItem::Kind::mailbox);
  EXPECT_EQ(l.items[0].value, "alice");
  EXPECT_EQ(l.items[1].kind, ForwardItem::Kind::address);
  EXPECT_EQ(l.items[1].value, "bob@example.org");
  EXPECT_EQ(l.items[2].kind, ForwardItem::Kind::command);
  EXPECT_EQ(l.items[2].value, "/usr/bin/vacation -a x, y");
  EXPECT_EQ(l.items[3].kind, ForwardItem::Kind::file);
  EXPECT_EQ(l.items[4].kind, ForwardItem::Kind::include);
  EXPECT_EQ(l.items[4].value, "/etc/list");
  EXPECT_EQ(l.items[5].value, "carol@example.net");
  EXPECT_TRUE(l.refused.empty());
}

TEST(ForwardParse, HostileItemsRefusedWithoutTheirText) {
  std::string text = std::string("ok@example.org\nbad") + '\0' + "nul@example.org\n\"|\"\na@b@c\n\x01@x\n";
  auto l = parse_forward(text);
  ASSERT_EQ(l.items.size(), 1u);
  EXPECT_EQ(l.items[0].value, "ok@example.org");
  EXPECT_EQ(l.refused.size(), 4u);
  for (auto& r : l.refused) EXPECT_EQ(r.find("nul"), std::string::npos) << r;
  // A quote left open refuses its own line only; the next line stays an item.
  auto odd = parse_forward("\"|/usr/bin/vacation x\n/var/mail/copy\n");
  ASSERT_EQ(odd.items.size(), 1u);
  EXPECT_EQ(odd.items[0].kind, ForwardItem::Kind::file);
  ASSERT_EQ(odd.refused.size(), 1u);
  EXPECT_NE(odd.refused[0].find("line 1"), std::string::npos) << odd.refused[0];
  std::string many;
  for (int i = 0; i < 1500; ++i) many += "a@b,";
  EXPECT_EQ(parse_forward(many).items.size(), kMaxForwardItems);
}

TEST(ForwardReply, ListRoundTrips) {
  DeliveryReply rep{9, true, false, "2.0.0", "", {"bob@example.org", "carol@x"}};
  auto d = decode_reply(encode_reply(rep));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->forward_to, rep.forward_to);
  rep.forward_to.clear();
  d = decode_reply(encode_reply(rep));
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->forward_to.empty());
}

TEST(ForwardFile, ChecksModeSymlinkAndAbsence) {
  char tmpl[] = "/tmp/tern-fwd-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  ::chmod(dir.c_str(), 0755);
  std::string f = dir + "/.forward";
  uid_t me = ::geteuid();
  auto r = read_forward_file({f}, me);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, ForwardFile::State::absent);
  { std::ofstream(f) << "bob@example.org\n"; }
  ::chmod(f.c_str(), 0644);
  r = read_forward_file({dir + "/.forward+x", f}, me);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, ForwardFile::State::found);
  EXPECT_EQ(r->text, "bob@example.org\n");
  ::chmod(f.c_str(), 0664);
  r = read_forward_file({f}, me);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, ForwardFile::State::ignored);
  ::chmod(f.c_str(), 0644);
  ::chmod(dir.c_str(), 0775);
  r = read_forward_file({f}, me);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, ForwardFile::State::ignored);
  ::chmod(dir.c_str(), 0711);  // searchable, not listable: still safe
  r = read_forward_file({f}, me);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, ForwardFile::State::found);
  ::chmod(dir.c_str(), 0755);
  std::string link = dir + "/.forward-link";
  ASSERT_EQ(::symlink(f.c_str(), link.c_str()), 0);
  r = read_forward_file({link}, me);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, ForwardFile::State::ignored);
  EXPECT_NE(r->reason.find("symbolic link"), std::string::npos);
  ::unlink(link.c_str());
  ::unlink(f.c_str());
  ::rmdir(dir.c_str());
}
