// Tests for postqueue/postsuper argv reading: Postfix's spellings, and IDs
// or sites that try to escape refused before anything is opened.
#include <gtest/gtest.h>

#include "cli/queue_args_parse.h"

using namespace tern::cli;

TEST(QueueArgs, Postqueue) {
  struct Case {
    std::vector<std::string> args;
    bool list, json, flush;
    const char* site;
  } cases[] = {{{"-p"}, true, false, false, ""},
               {{"-j"}, true, true, false, ""},
               {{"-f"}, false, false, true, ""},
               {{"-s", "Example.COM"}, false, false, false, "example.com"},
               {{"-sexample.com", "-c", "/etc/tern"}, false, false, false, "example.com"},
               {{"-v", "-s", "[192.0.2.1]"}, false, false, false, "[192.0.2.1]"}};
  for (auto& c : cases) {
    QueueRequest r;
    std::string err;
    ASSERT_EQ(parse_postqueue_args(c.args, r, err), 0) << err;
    EXPECT_EQ(r.list, c.list);
    EXPECT_EQ(r.json, c.json);
    EXPECT_EQ(r.flush, c.flush);
    EXPECT_EQ(r.site, c.site);
  }
  QueueRequest r;
  std::string err;
  ASSERT_EQ(parse_postqueue_args({"-i", "0123456789ABCDEF"}, r, err), 0);
  ASSERT_EQ(r.ops.size(), 1u);
  EXPECT_EQ(r.ops[0].verb, QueueOp::requeue);
  for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{
           {}, {"-p", "-f"}, {"-s"}, {"-s", "../x"}, {"-s", "a b"}, {"-s", "-f"}, {"-i", "../x"}, {"-x"}, {"p"}}) {
    QueueRequest q;
    EXPECT_EQ(parse_postqueue_args(bad, q, err), 64) << (bad.empty() ? "" : bad[0]);
  }
}

TEST(QueueArgs, Postsuper) {
  QueueRequest r;
  std::string err;
  ASSERT_EQ(parse_postsuper_args({"-d", "ALL", "deferred"}, r, err), 0) << err;
  ASSERT_EQ(r.ops.size(), 1u);
  EXPECT_EQ(r.ops[0].verb, QueueOp::remove);
  EXPECT_EQ(r.ops[0].id, "ALL");
  EXPECT_EQ(r.queues, std::vector<std::string>{"deferred"});
  QueueRequest m;
  ASSERT_EQ(parse_postsuper_args({"-h0123456789ABCDEF", "-H", "ALL", "-r", "-", "-c", "/x", "-v"}, m, err), 0);
  ASSERT_EQ(m.ops.size(), 3u);
  EXPECT_EQ(m.ops[0].verb, QueueOp::hold);
  EXPECT_EQ(m.ops[1].verb, QueueOp::release);
  EXPECT_EQ(m.ops[2].verb, QueueOp::requeue);
  EXPECT_EQ(m.ops[2].id, "-");
  EXPECT_EQ(m.config, "/x");
  for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{
           {},
           {"-d"},
           {"-d", "../x"},
           {"-d", "ALL/../"},
           {"-d", "0123456789abcdef"},
           {"-d", "0123456789ABCDEF/"},
           {"-d", "ALL", "../deferred"},
           {"-d", "ALL", "maildrop"},
           {"-p"}}) {
    QueueRequest q;
    EXPECT_EQ(parse_postsuper_args(bad, q, err), 64) << (bad.size() > 1 ? bad[1] : "");
  }
}

TEST(QueueArgs, IdsFromStandardInput) {
  std::vector<std::string> ids;
  std::string err;
  ASSERT_EQ(read_queue_ids("0123456789ABCDEF\n  0123456789ABCDE0  \n\n", ids, err), 0);
  EXPECT_EQ(ids.size(), 2u);
  std::vector<std::string> none;
  EXPECT_EQ(read_queue_ids("0123456789ABCDEF\n../../etc/passwd\n", none, err), 64);
  EXPECT_EQ(read_queue_ids("ALL\n", none, err), 64);
}
