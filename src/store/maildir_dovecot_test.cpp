// Interop with Dovecot on one Maildir (issue 10: "a mailbox written by tern
// is read by Dovecot ... and one written by Dovecot is read by tern"): a
// throwaway Dovecot (Debian's dovecot-core: the daemon for its auth
// service, no listeners) is started on a temporary directory and asked
// with doveadm for UIDs, flags, UIDVALIDITY and folders. Skipped where
// Dovecot is not installed.
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "store/maildir_mailbox.h"
#include "store/maildir_store.h"
#include "store/store_test_util.h"

using namespace tern::store;
using test_util::TempDir;
namespace stdfs = std::filesystem;

namespace {

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

class Dovecot {
 public:
  explicit Dovecot(const TempDir& t) : t_(t) {
    // Dovecot refuses to run mail as root: root runs it as nobody.
    uid_ = ::getuid() == 0 ? 65534 : ::getuid();
    gid_ = ::getuid() == 0 ? 65534 : ::getgid();
    stdfs::create_directories(t / "run");
    if (::getuid() == 0) ::chmod(t.path().c_str(), 0711);  // nobody must reach acct/
    std::ofstream(t / "dovecot.conf") << "base_dir = " << (t / "run") << "\nlog_path = " << (t / "dovecot.log")
                                      << "\nssl = no\nprotocols = none\nfirst_valid_uid = 1\n"
                                      << "mail_location = maildir:" << (t / "acct") << "\n"
                                      << "userdb {\n  driver = static\n  args = uid=" << uid_ << " gid=" << gid_
                                      << " home=" << t.path() << "\n}\n"
                                      << "passdb {\n  driver = static\n  args = nopassword\n}\n";
    if (::getuid() == 0) std::ofstream(t / "dovecot.conf", std::ios::app)
        << "default_internal_user = root\ndefault_login_user = root\n";
    // Not through popen: the daemon keeps its inherited stdout open.
    start_rc_ = std::system(("dovecot -c " + t / "dovecot.conf </dev/null >/dev/null 2>&1").c_str());
    for (int i = 0; i < 500 && !stdfs::exists(t / "run/auth-userdb"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~Dovecot() {
    if (start_rc_ == 0) (void)std::system(("dovecot -c " + t_ / "dovecot.conf stop </dev/null >/dev/null 2>&1").c_str());
  }
  bool up() const { return start_rc_ == 0 && stdfs::exists(t_ / "run/auth-userdb"); }
  // doveadm as the mail user, after handing it what tern wrote.
  std::string doveadm(const std::string& args) {
    if (::getuid() == 0) run("chown -R " + std::to_string(uid_) + ":" + std::to_string(gid_) + " " + t_ / "acct");
    return run("doveadm -c " + t_ / "dovecot.conf " + args);
  }

 private:
  const TempDir& t_;
  uid_t uid_;
  gid_t gid_;
  int start_rc_ = -1;
};

bool have_dovecot() { return ::access("/usr/sbin/dovecot", X_OK) == 0 && ::access("/usr/bin/doveadm", X_OK) == 0; }

TEST(DovecotInterop, DovecotReadsWhatTernWroteAndTernReadsDovecot) {
  if (!have_dovecot()) GTEST_SKIP() << "Dovecot not installed";
  TempDir t;
  MaildirStore store(t / "acct");
  uint32_t validity = 0;
  {
    auto mb = std::move(*store.open("INBOX"));
    ASSERT_TRUE(mb->append("Subject: 1\n\none\n", kFlagSeen, 0));
    ASSERT_TRUE(mb->append("Subject: 2\n\ntwo\n", 0, 0));
    ASSERT_TRUE(mb->append("Subject: 3\n\nthree\n", kFlagFlagged | kFlagAnswered, 0));
    ASSERT_TRUE(mb->refresh());
    ASSERT_TRUE(mb->expunge(2));
    validity = mb->uidvalidity();
    ASSERT_TRUE(store.create("Work.Sub"));
  }
  Dovecot dc(t);
  ASSERT_TRUE(dc.up()) << test_util::slurp(t / "dovecot.log");
  std::string status = dc.doveadm("mailbox status -u test 'uidvalidity uidnext messages' INBOX");
  EXPECT_EQ(status, "INBOX messages=2 uidnext=4 uidvalidity=" + std::to_string(validity) + "\n");
  std::string fetched = dc.doveadm("fetch -u test 'uid flags' mailbox INBOX all");
  EXPECT_NE(fetched.find("uid: 1\nflags: \\Seen"), std::string::npos) << fetched;
  EXPECT_NE(fetched.find("uid: 3\nflags: \\Answered \\Flagged"), std::string::npos) << fetched;
  EXPECT_EQ(fetched.find("uid: 2\n"), std::string::npos) << fetched;
  EXPECT_NE(dc.doveadm("mailbox list -u test").find("Work.Sub"), std::string::npos);

  // Dovecot's turn: a new message, a flag change, a folder.
  EXPECT_EQ(dc.doveadm("flags add -u test '\\Deleted' mailbox INBOX uid 1"), "");
  EXPECT_EQ(dc.doveadm("flags add -u test '$Junk' mailbox INBOX uid 3"), "");
  std::ofstream(t / "msg") << "Subject: from dovecot\n\nhi\n";
  EXPECT_EQ(dc.doveadm("save -u test -m INBOX < " + t / "msg"), "");
  EXPECT_EQ(dc.doveadm("mailbox create -u test Archive"), "");
  auto mb = std::move(*store.open("INBOX"));
  EXPECT_EQ(mb->uidvalidity(), validity);
  ASSERT_EQ(mb->messages().size(), 3u);
  EXPECT_EQ(mb->find(1)->flags, kFlagSeen | kFlagDeleted);
  ASSERT_TRUE(mb->find(4));
  EXPECT_EQ(*mb->read(4), "Subject: from dovecot\n\nhi\n");
  EXPECT_EQ(mb->find(3)->keywords, (std::vector<std::string>{"$Junk"}));
  auto next = mb->append("Subject: 5\n\n", 0, 0);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, 5u);
  ASSERT_TRUE(mb->refresh());
  ASSERT_TRUE(mb->set_keywords(5, {"$Forwarded", "$junk"}, {}));
  auto folders = store.list();
  EXPECT_EQ(*folders, (std::vector<std::string>{"INBOX", "Archive", "Work.Sub"}));
  // And Dovecot agrees on what tern did last.
  fetched = dc.doveadm("fetch -u test 'uid flags' mailbox INBOX all");
  EXPECT_NE(fetched.find("uid: 5\nflags: $Junk $Forwarded"), std::string::npos) << fetched;
}

}  // namespace
