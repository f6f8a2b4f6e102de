// Tests for the account-to-mailbox mapping with hostile names: whatever the
// domain and user, the result is refused or lies two levels below base.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "store/mailbox_path.h"

using tern::store::virtual_mailbox_path;

namespace {

// True if path, resolved lexically, is base/<one name>/<one name>.
bool two_levels_below(const std::string& base, const std::string& path) {
  namespace stdfs = std::filesystem;
  auto rel = stdfs::path(path).lexically_normal().lexically_relative(stdfs::path(base).lexically_normal());
  int n = 0;
  for (auto& c : rel) {
    if (c == ".." || c == ".") return false;
    if (!c.empty()) ++n;
  }
  return n == 2;
}

}  // namespace

TEST(MailboxPath, Layout) {
  EXPECT_EQ(*virtual_mailbox_path("/var/vmail", "example.test", "alice"), "/var/vmail/example.test/alice/");
  EXPECT_EQ(*virtual_mailbox_path("/var/vmail/", "Example.TEST", "Alice"), "/var/vmail/example.test/alice/");
  EXPECT_EQ(*virtual_mailbox_path("./var/mail", "alice@Example.test"), "./var/mail/example.test/alice/");
  EXPECT_EQ(*virtual_mailbox_path("/", "d", "u"), "/d/u/");
  // Dots inside a name are ordinary characters.
  EXPECT_EQ(*virtual_mailbox_path("/b", "d", "a..b"), "/b/d/a..b/");
  EXPECT_EQ(*virtual_mailbox_path("/b", "last", "first.last"), "/b/last/first.last/");
}

TEST(MailboxPath, RefusesHostileNames) {
  struct Case {
    const char* label;
    std::string domain, user;
  };
  const Case cases[] = {
      {"dotdot user", "d", ".."},
      {"dot user", "d", "."},
      {"empty user", "d", ""},
      {"hidden user", "d", ".alice"},
      {"slash in user", "d", "a/b"},
      {"traversal", "d", "a/../../../x"},
      {"absolute user", "d", "/etc/passwd"},
      {"trailing slash", "d", "alice/"},
      {"dotdot domain", "..", "alice"},
      {"dot domain", ".", "alice"},
      {"empty domain", "", "alice"},
      {"slash in domain", "a/../..", "alice"},
      {"absolute domain", "/etc", "alice"},
      {"NUL", "d", std::string("a\0b", 3)},
      {"newline", "d", "a\nb"},
      {"DEL", "d", "a\x7f"},
      {"tab", "d", "a\tb"},
      {"too long", "d", std::string(256, 'a')},
  };
  for (auto& c : cases) {
    auto r = virtual_mailbox_path("/var/vmail", c.domain, c.user);
    EXPECT_FALSE(r) << c.label << " gave " << (r ? *r : "");
    if (!r) {
      EXPECT_TRUE(r.error().is_permanent()) << c.label;
      EXPECT_EQ(r.error().dsn, "5.1.3") << c.label;
    }
  }
  EXPECT_FALSE(virtual_mailbox_path("", "d", "u"));
  EXPECT_FALSE(virtual_mailbox_path("/b", "no-at-sign"));
  EXPECT_FALSE(virtual_mailbox_path("/b", "a/../../x@virt.test"));
  EXPECT_FALSE(virtual_mailbox_path("/b", "alice@.."));
}

TEST(MailboxPath, NeverLeavesBase) {
  // Every combination of awkward pieces either fails or stays below base.
  const std::string pieces[] = {"", ".", "..", "/", "a", "A", ".A", "a.", "..a", "a/..", "../a", "%2e%2e",
                                "\\..", "~root", "a b", "\xc3\xa9", "@", "a@b"};
  const std::string base = "/srv/vmail";
  for (auto& d : pieces)
    for (auto& u : pieces) {
      auto r = virtual_mailbox_path(base, d, u);
      if (r) {
        EXPECT_TRUE(two_levels_below(base, *r)) << "domain '" << d << "' user '" << u << "' -> " << *r;
      }
      auto joined = virtual_mailbox_path(base, u + "@" + d);
      if (joined) {
        EXPECT_TRUE(two_levels_below(base, *joined)) << u << "@" << d << " -> " << *joined;
      }
    }
}
