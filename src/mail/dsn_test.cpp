// Tests of the DSN composer's invariants that need bytes a command line
// cannot carry (NUL) or exact limits; tests/e2e/test_dsn_format.py parses
// the output with Python's email package.
#include "mail/dsn.h"

#include <gtest/gtest.h>

#include "mail/dsn_text.h"

using namespace tern::mail;

namespace {

DsnReport sample(std::string_view original) {
  DsnReport r;
  r.reporting_mta = "mail.example.org";
  r.sender = "s@example.org";
  r.queue_id = "Q1";
  r.now = 1764666000;
  DsnRecipient rc;
  rc.final_recipient = "u@example.com";
  rc.status = "5.1.1";
  rc.remote_mta = "mx.example.com";
  rc.diagnostic = std::string("550 5.1.1 a\0b\r\nSubject: x", 25);
  r.recipients.push_back(rc);
  r.original = original;
  return r;
}

void expect_clean_lines(const std::string& s) {
  size_t start = 0;
  while (start < s.size()) {
    size_t eol = s.find('\n', start);
    if (eol == std::string::npos) eol = s.size();
    EXPECT_LE(eol - start, 998u);
    start = eol + 1;
  }
  EXPECT_EQ(s.find('\r'), std::string::npos);
  EXPECT_EQ(s.find('\0'), std::string::npos);
}

TEST(Dsn, NulAndCrlfFromRemoteTextStayInOneField) {
  auto m = compose_dsn(sample("Subject: hi\n\nbody\n"));
  expect_clean_lines(m.content);
  EXPECT_NE(m.content.find("Diagnostic-Code: smtp; 550 5.1.1 a?b??Subject: x\n"), std::string::npos);
  EXPECT_EQ(m.content.find("\nSubject: x"), std::string::npos);
}

TEST(Dsn, HeaderCutAtFieldBoundary) {
  std::string original = "Subject: one\nX-Long: a\n b\n c\nTo: t@example.com\n\nbody\n";
  auto r = sample(original);
  r.bounce_size_limit = 25;  // ends inside X-Long's folded lines (it starts at 13)
  auto m = compose_dsn(r);
  EXPECT_TRUE(m.headers_only);
  EXPECT_NE(m.content.find("Content-Type: text/rfc822-headers\n\nSubject: one\n\n--"), std::string::npos);
  EXPECT_EQ(m.content.find("X-Long"), std::string::npos);
}

TEST(Dsn, MainAction) {
  std::vector<DsnRecipient> v(3);
  v[0].action = DsnAction::delivered;
  v[1].action = DsnAction::delayed;
  v[2].action = DsnAction::relayed;
  EXPECT_EQ(dsn_main_action(v), DsnAction::delayed);
  v[2].action = DsnAction::failed;
  EXPECT_EQ(dsn_main_action(v), DsnAction::failed);
}

TEST(DsnText, FieldFolding) {
  std::string f = dsn_text::field("Diagnostic-Code", "smtp; " + std::string(100, 'x') + " tail");
  EXPECT_EQ(f, "Diagnostic-Code: smtp;\n " + std::string(100, 'x') + "\n tail\n");
  EXPECT_EQ(dsn_text::field("Action", "failed"), "Action: failed\n");
  EXPECT_EQ(dsn_text::field("Empty", ""), "Empty:\n");
}

TEST(DsnText, Status) {
  for (const char* ok : {"5.1.1", "4.7.123", "2.0.0"}) EXPECT_TRUE(dsn_text::valid_status(ok)) << ok;
  for (const char* bad : {"", "5.1", "3.1.1", "5.1.1 ", "5..1", "5.1.1234", "5.1.x"})
    EXPECT_FALSE(dsn_text::valid_status(bad)) << bad;
}

}  // namespace
