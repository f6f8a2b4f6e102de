// Tests for the mailq text (Postfix's layout for long queue IDs, byte for
// byte) and the postqueue -j JSON lines.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "cli/queue_format.h"

using namespace tern;
using namespace tern::cli;

namespace {

queue::ListedMessage sample() {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  queue::ListedMessage m;
  m.queue_name = "deferred";
  m.id = "5F3A1B2C0D4E5F60";
  m.arrival = 1764676800;  // Tue Dec  2 12:00:00 2025 UTC
  m.size = 1234;
  m.sender = "s@example.org";
  m.recipients = {{"a@example.com", "connect to mx.example.com[192.0.2.1]:25: Connection refused"},
                  {"b@example.com", "connect to mx.example.com[192.0.2.1]:25: Connection refused"},
                  {"c@example.net", ""}};
  return m;
}

}  // namespace

TEST(QueueFormat, PostfixLayout) {
  MailqFormatter f;
  std::string reason = "(connect to mx.example.com[192.0.2.1]:25: Connection refused)";
  std::string expected =
      "----Queue ID----- --Size-- ---Arrival Time---- --Sender/Recipient------\n"
      "5F3A1B2C0D4E5F60      1234 Tue Dec  2 12:00:00 s@example.org\n" +
      std::string(76 - (reason.size() - 2), ' ') + reason + "\n" + std::string(47, ' ') + "a@example.com\n" +
      std::string(47, ' ') + "b@example.com\n" + std::string(76 - 18, ' ') + "(reason unavailable)\n" +
      std::string(47, ' ') + "c@example.net\n";
  EXPECT_EQ(f.add(sample()), expected);
  auto held = sample();
  held.queue_name = "hold";
  held.sender = "";
  held.recipients = {{"d@example.com", ""}};
  EXPECT_EQ(f.add(held), "\n5F3A1B2C0D4E5F60!     1234 Tue Dec  2 12:00:00 MAILER-DAEMON\n" + std::string(47, ' ') +
                             "d@example.com\n");
  EXPECT_EQ(f.summary(), "\n-- 2 Kbytes in 2 Requests.\n");
  MailqFormatter empty;
  EXPECT_EQ(empty.summary(), "Mail queue is empty\n");
}

TEST(QueueFormat, ActiveMarkAndHostileBytes) {
  MailqFormatter f;
  auto m = sample();
  m.queue_name = "active";
  m.sender = "evil\n5F3A1B2C0D4E5F61     1 x";
  m.recipients = {{"r\r\n@x", "why\nnot"}};
  std::string out = f.add(m);
  EXPECT_NE(out.find("5F3A1B2C0D4E5F60*     1234"), std::string::npos) << out;
  EXPECT_NE(out.find("evil?5F3A1B2C0D4E5F61"), std::string::npos) << out;
  EXPECT_NE(out.find("(why?not)"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 4);
  EXPECT_EQ(f.summary(), "\n-- 1 Kbytes in 1 Request.\n");
}

TEST(QueueFormat, JsonLines) {
  auto m = sample();
  m.recipients.resize(1);
  EXPECT_EQ(json_message(m),
            R"({"queue_name": "deferred", "queue_id": "5F3A1B2C0D4E5F60", "arrival_time": 1764676800, )"
            R"("message_size": 1234, "forced_expire": false, "sender": "s@example.org", "recipients": [)"
            R"({"address": "a@example.com", "delay_reason": "connect to mx.example.com[192.0.2.1]:25: Connection refused"}]})");
  EXPECT_EQ(json_string("a\"b\\c\nd\xff"), R"("a\"b\\\\c\\x0ad\\xff")");
  m.recipients = {{"x@y", ""}};
  EXPECT_NE(json_message(m).find(R"([{"address": "x@y"}])"), std::string::npos);
}
