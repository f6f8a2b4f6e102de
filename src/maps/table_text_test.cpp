// Tests for the table and aliases text parsers (table_text.cpp): comments,
// continuation lines, duplicates and the file:line errors, as tables of cases.
#include <gtest/gtest.h>

#include "maps/table.h"

namespace tern::maps {
namespace {

struct Case {
  const char* name;
  const char* text;
  std::vector<std::pair<std::string, std::string>> want;  // empty with error set
  const char* error = nullptr;                          // substring of the error detail
};

std::vector<std::pair<std::string, std::string>> pairs(const std::vector<Entry>& es) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : es) out.emplace_back(e.key, e.value);
  return out;
}

void run(const std::vector<Case>& cases, Format format) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> warnings;
    auto r = parse_text(c.text, "f", format, &warnings);
    if (c.error) {
      ASSERT_FALSE(r.ok());
      EXPECT_TRUE(r.error().is_permanent());
      EXPECT_NE(r.error().detail.find(c.error), std::string::npos) << r.error().detail;
    } else {
      ASSERT_TRUE(r.ok()) << r.error().detail;
      EXPECT_EQ(pairs(*r), c.want);
    }
  }
}

TEST(TableText, Cases) {
  run({
          {"empty", "", {}},
          {"simple", "a b\n", {{"a", "b"}}},
          {"no final newline", "a b", {{"a", "b"}}},
          {"crlf", "a b\r\nc d\r\n", {{"a", "b"}, {"c", "d"}}},
          {"key lower-cased, value kept", "User@Example.COM  Some Value \n", {{"user@example.com", "Some Value"}}},
          {"tab separator", "a\tb c\n", {{"a", "b c"}}},
          {"comments and blanks", "# c\n\n   \n  # indented comment\na b\n", {{"a", "b"}}},
          {"hash inside value is data", "a b # not a comment\n", {{"a", "b # not a comment"}}},
          {"continuation", "a b,\n   c,\n\td\ne f\n", {{"a", "b, c, d"}, {"e", "f"}}},
          {"continuation over comment", "a b\n# c\n  c\n", {{"a", "b c"}}},
          {"value only on continuation", "a\n  b\n", {{"a", "b"}}},
          {"duplicate keeps first", "a 1\nA 2\nb 3\n", {{"a", "1"}, {"b", "3"}}},
          {"missing value", "a b\nlonely\n", {}, "f:2: missing value for 'lonely'"},
          {"missing value with spaces", "lonely   \n", {}, "f:1: missing value"},
          {"leading continuation", "  a b\n", {}, "f:1: continuation line"},
      },
      Format::table);
}

TEST(TableText, NulByteIsAnError) {
  auto r = parse_table_text(std::string_view("a b\nc\0d e\n", 11), "f");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("f:2: NUL byte"), std::string::npos);
}

TEST(TableText, LineNumbersAndWarnings) {
  std::vector<std::string> w;
  auto r = parse_text("# x\na 1\n  more\n\nb 2\na 3\n", "t", Format::table, &w);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].line, 2);
  EXPECT_EQ((*r)[1].line, 5);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], "t:6: duplicate entry for 'a' ignored (keeping line 2)");
}

TEST(AliasesText, Cases) {
  run({
          {"simple", "postmaster: root\n", {{"postmaster", "root"}}},
          {"no space after colon", "postmaster:root\n", {{"postmaster", "root"}}},
          {"space before colon", "postmaster : root\n", {{"postmaster", "root"}}},
          {"value kept raw", "Staff: alice, |\"/usr/bin/x y\", /var/log/f, :include:/etc/l\n",
           {{"staff", "alice, |\"/usr/bin/x y\", /var/log/f, :include:/etc/l"}}},
          {"continuation", "list: a,\n  b,\n\tc\n", {{"list", "a, b, c"}}},
          {"comments", "# header\n\nroot: admin # trailing kept\n", {{"root", "admin # trailing kept"}}},
          {"quoted name", "\"Mail Admin\": root\n", {{"mail admin", "root"}}},
          {"quoted name with escape", "\"a\\\"b\" : root\n", {{"a\"b", "root"}}},
          {"duplicate keeps first", "a: 1\nA: 2\n", {{"a", "1"}}},
          {"no colon", "root admin\n", {}, "f:1: expected 'name: value'"},
          {"space in name", "mail admin: root\n", {}, "f:1: expected 'name: value'"},
          {"empty name", ": root\n", {}, "f:1: expected 'name: value'"},
          {"unclosed quote", "\"abc: root\n", {}, "f:1: expected 'name: value'"},
          {"quote without colon", "\"abc\" root\n", {}, "f:1: expected 'name: value'"},
          {"missing value", "a: b\nroot:\n", {}, "f:2: missing value for 'root'"},
          {"leading continuation", "\n  a: b\n", {}, "f:2: continuation line"},
      },
      Format::aliases);
}

}  // namespace
}  // namespace tern::maps
