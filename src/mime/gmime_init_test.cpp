// GMime from several threads at once (the first call of the process too,
// when run alone: --gtest_filter='MimeThreads*'): each gets the
// single-threaded answer (gmime_init.h's contract).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "mime/message.h"
#include "mime/test_messages.h"

namespace tern::mime {
namespace {

TEST(MimeThreads, ParallelCallsAgreeWithSerialOnes) {
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&wrong] {
      for (int i = 0; i < 200; ++i) {
        Message m(test::mixed);
        if (m.envelope().find("\"Team\"") == std::string::npos) ++wrong;
        if (m.body_structure(true).find("\"filename*\" \"UTF-8''r%C3%A9sum.pdf\"") == std::string::npos) ++wrong;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  Message serial(test::mixed);
  EXPECT_NE(serial.envelope().find("\"Team\""), std::string::npos);
}

}  // namespace
}  // namespace tern::mime
