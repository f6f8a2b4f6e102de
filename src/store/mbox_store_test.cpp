// Tests of an mbox account: userdb_mail parsing and its path rules
// (mail_location.h), and MboxStore (INBOX the mbox file, other folders
// Maildir++ under the root, COPY between them).
#include "store/mbox_store.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "store/mbox.h"
#include "store/store_test_util.h"

namespace tern::store {
namespace {

using test_util::open_ok;
using test_util::slurp;
using test_util::TempDir;
using test_util::uids;

TEST(MailLocation, DovecotStyleLine) {
  auto loc = mail_location_from_extra("userdb_quota_rule=*:storage=1G userdb_mail=mbox:~/mail:INBOX=/var/mail/%n",
                                      "bob@example.org", "/home/bob");
  ASSERT_TRUE(loc) << loc.error().detail;
  ASSERT_TRUE(*loc);
  EXPECT_EQ((*loc)->root, "/home/bob/mail");
  EXPECT_EQ((*loc)->inbox, "/var/mail/bob");
  auto plain = mail_location_from_extra("mail=mbox:/srv/%d/%n:INBOX=/var/mail/%u", "bob@example.org", "");
  ASSERT_TRUE(plain && *plain);
  EXPECT_EQ((*plain)->root, "/srv/example.org/bob");
  EXPECT_EQ((*plain)->inbox, "/var/mail/bob@example.org");
}

TEST(MailLocation, NoFieldMeansMaildir) {
  auto loc = mail_location_from_extra("userdb_quota_rule=*:storage=1G", "bob", "/home/bob");
  ASSERT_TRUE(loc);
  EXPECT_FALSE(*loc);
}

TEST(MailLocation, RefusesWhatCouldEscape) {
  const char* bad[] = {
      "mail=mbox:~/mail:INBOX=/var/mail/%u",    // user "../x" below
      "mail=mbox:mail:INBOX=/var/mail/x",       // relative root
      "mail=mbox:/m:INBOX=var/mail/x",          // relative inbox
      "mail=mbox:/m:INBOX=/var/mail/%h",        // unknown expansion
      "mail=mbox:/m",                           // no INBOX=
      "mail=maildir:~/Maildir",                 // another format
      "mail=mbox:/m:INBOX=/var/mail/x:LAYOUT=fs",
      "mail=mbox:/m/./n:INBOX=/var/mail/x",
      "mail=mbox:/m//n:INBOX=/var/mail/x",
  };
  for (const char* extra : bad) {
    auto loc = mail_location_from_extra(extra, "../x", "/home/x");
    EXPECT_FALSE(loc) << extra;
  }
  EXPECT_FALSE(mail_location_from_extra("mail=mbox:~/mail:INBOX=/var/mail/x", "bob", ""));  // ~ without home
  EXPECT_FALSE(expand_mail_path("/var/mail/%u", "a/../../etc", ""));
  EXPECT_FALSE(expand_mail_path("/var/mail/%u", "a\nb", ""));
  EXPECT_FALSE(expand_mail_path("/var/mail/%", "a", ""));
  EXPECT_EQ(*expand_mail_path("/x/%%u", "a", ""), "/x/%u");
}

TEST(MboxStore, InboxIsTheFileAndTheRestMaildir) {
  TempDir d;
  MailLocation loc{d / "mail", d / "spool"};
  ASSERT_TRUE(mbox_deliver(loc.inbox, "a@b", 0, "", "Subject: hello\n\nhi\n").ok());
  MboxStore store(loc);
  auto list = store.list();
  ASSERT_TRUE(list);
  EXPECT_EQ(*list, (std::vector<std::string>{"INBOX"}));
  ASSERT_TRUE(store.create("Archive").ok());
  EXPECT_EQ(*store.list(), (std::vector<std::string>{"INBOX", "Archive"}));
  EXPECT_FALSE(store.remove("INBOX").ok());
  auto inbox = open_ok(store, "inbox");
  auto archive = open_ok(store, "Archive");
  ASSERT_TRUE(inbox && archive);
  EXPECT_EQ(uids(*inbox), (std::vector<uint32_t>{1}));
  ASSERT_TRUE(inbox->set_flags(1, kFlagFlagged, 0));
  auto to_archive = inbox->copy_to(1, *archive);
  ASSERT_TRUE(to_archive) << to_archive.error().detail;
  ASSERT_TRUE(archive->refresh());
  EXPECT_EQ(*archive->read(*to_archive), "Subject: hello\n\nhi\n");
  EXPECT_EQ(archive->find(*to_archive)->flags, kFlagFlagged);
  ASSERT_TRUE(inbox->expunge(1).ok());
  auto back = archive->copy_to(*to_archive, *inbox);
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(*back, 2u);
  ASSERT_TRUE(inbox->refresh());
  EXPECT_EQ(*inbox->read(2), "Subject: hello\n\nhi\n");
  EXPECT_EQ(inbox->find(2)->flags, kFlagFlagged);
  EXPECT_NE(slurp(loc.inbox).find("X-Status: F\n"), std::string::npos);
}

// The IMAP/POP3 process without read and write access to the spool file
// (run as root, the test drops to nobody in a child): a temporary error
// naming the cause, and the file untouched.
TEST(MboxStore, UnreadableSpoolFileIsATemporaryErrorAndUntouched) {
  TempDir d;
  MailLocation loc{d / "mail", d / "spool"};
  ASSERT_TRUE(mbox_deliver(loc.inbox, "a@b", 0, "", "Subject: hello\n\nhi\n").ok());
  const std::string before = slurp(loc.inbox);
  ASSERT_EQ(::chmod(loc.inbox.c_str(), 0600), 0);
  ASSERT_EQ(::chmod(d.path().c_str(), 0777), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(10);
    if (::geteuid() == 0) ::_exit(11);
    if (::chmod(loc.inbox.c_str(), 0600) == 0) ::_exit(12);  // not ours: must not be changeable
    MboxStore store(loc);
    auto inbox = store.open("INBOX");
    if (inbox) ::_exit(13);
    if (inbox.error().is_permanent()) ::_exit(14);
    if (inbox.error().detail.find("permission denied") == std::string::npos) ::_exit(15);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  if (::geteuid() != 0 && WEXITSTATUS(status) == 12) GTEST_SKIP() << "the file is the test user's own";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(slurp(loc.inbox), before);
  EXPECT_FALSE(fs::exists(loc.inbox + ".lock"));
}

}  // namespace
}  // namespace tern::store
