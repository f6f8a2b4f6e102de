// Tests for the auth module: the passwd-file parser (comments, short lines,
// schemes, errors), password hashing and checking against known vectors,
// and UserDb's locked add/remove/passwd on a temporary file.
#include <crypt.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "auth/user_db.h"

using namespace tern::auth;

namespace {

// openssl passwd -6 -salt saltsalt secret
constexpr const char* kSha512Secret =
    "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1";
// crypt_blowfish's published test vector, password "U*U".
constexpr const char* kBcryptUU = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
// openssl passwd -1 -salt saltsalt secret
constexpr const char* kMd5Secret = "$1$saltsalt$9xy1btjgzLYfb7hivXtC//";

std::vector<User> parse_ok(std::string_view text) {
  auto r = parse_passwd_file(text, "users");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().detail);
  return r.ok() ? *r : std::vector<User>{};
}

std::string parse_err(std::string_view text) {
  auto r = parse_passwd_file(text, "users");
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return "";
  EXPECT_TRUE(r.error().is_permanent());
  return r.error().detail;
}

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "tern-auth-XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& path, std::string_view text) {
  std::ofstream out(path);
  out << text;
}

TEST(PasswdFile, CommentsBlankLinesAndShortLines) {
  auto users = parse_ok(
      "# a comment\n"
      "\n"
      "   \n"
      "  # indented comment\n"
      "Alice@Example.COM:$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq."
      "H91p5hVO1\n"
      "bob@example.com\n"
      "carol@example.com:\r\n"
      "dave:::::::\n"
      "erin@example.com:" +
      std::string(kBcryptUU) + ":1000:1000:Erin E:/home/erin:/bin/sh:userdb_mail=maildir:~/Maildir quota=1G");
  ASSERT_EQ(users.size(), 5u);
  EXPECT_EQ(users[0].address, "alice@example.com");
  EXPECT_EQ(users[0].password, kSha512Secret);
  EXPECT_EQ(users[1].address, "bob@example.com");
  EXPECT_EQ(users[1].password, "");
  EXPECT_EQ(users[2].address, "carol@example.com");
  EXPECT_EQ(users[2].password, "");
  EXPECT_EQ(users[3].address, "dave");  // a plain user name, as Dovecot allows
  const User& e = users[4];
  EXPECT_EQ(e.uid, "1000");
  EXPECT_EQ(e.gid, "1000");
  EXPECT_EQ(e.gecos, "Erin E");
  EXPECT_EQ(e.home, "/home/erin");
  EXPECT_EQ(e.shell, "/bin/sh");
  EXPECT_EQ(e.extra, "userdb_mail=maildir:~/Maildir quota=1G");  // ':' kept in extra
}

TEST(PasswdFile, SchemePrefixesAreStripped) {
  struct Case {
    std::string field;
    std::string crypt;
  };
  const Case cases[] = {
      {std::string("{SHA512-CRYPT}") + kSha512Secret, kSha512Secret},
      {std::string("{sha512-crypt}") + kSha512Secret, kSha512Secret},
      {std::string("{BLF-CRYPT}") + kBcryptUU, kBcryptUU},
      {std::string("{CRYPT}") + kSha512Secret, kSha512Secret},
      {"{YESCRYPT}$y$j9T$saltsaltsaltsalt$.Zt5W26jjocuW0wIHGgB6AJelofw6GEpOypHGyow2y5",
       "$y$j9T$saltsaltsaltsalt$.Zt5W26jjocuW0wIHGgB6AJelofw6GEpOypHGyow2y5"},
      {std::string("{MD5-CRYPT}") + kMd5Secret, kMd5Secret},
      {"{CRYPT}", ""},
      {"!$6$saltsalt$locked", "!$6$saltsalt$locked"},
      {"*", "*"},
  };
  for (const auto& c : cases) {
    auto users = parse_ok("u@example.com:" + c.field + "\n");
    ASSERT_EQ(users.size(), 1u) << c.field;
    EXPECT_EQ(users[0].password, c.crypt);
  }
}

TEST(PasswdFile, ErrorsNameFileAndLine) {
  struct Case {
    std::string text;
    std::string expect;  // a substring of the error
  };
  const Case cases[] = {
      {"# ok\n:$6$x$y\n", "users:2: missing user name"},
      {"@example.com:\n", "users:1: user '@example.com' is not local@domain"},
      {"\n\nuser@:\n", "users:3: user 'user@' is not"},
      {"a@b@c:\n", "users:1: user 'a@b@c' is not"},
      {"a b@c:\n", "users:1: user 'a b@c' contains white space"},
      {"  a@b:\n", "users:1: user '  a@b' contains white space"},
      {"a@b:{PLAIN}secret\n", "users:1: user 'a@b': password scheme {PLAIN} cannot be verified"},
      {"a@b:{CLEARTEXT}secret\n", "re-hash with `tern user passwd`"},
      {"a@b:{SSHA512}abc\n", "password scheme {SSHA512}"},
      {"a@b:{SHA512-CRYPT.b64}abc\n", "password scheme {SHA512-CRYPT.b64}"},
      {"a@b:{SHA512-CRYPT$6$x\n", "no closing '}'"},
      {"a@b:secret\n", "users:1: user 'a@b': password is not a \"$id$\" crypt string"},
      {"a@b:abNANd1rDfiNc\n", "plain text or DES crypt"},
      {"a@b:$unknown$x$y\n", "libxcrypt cannot verify"},
      {std::string("a@b:\0:\n", 7), "users:1: line contains a NUL byte"},
      {"a@b::1\r2\n", "users:1: line contains a carriage return"},
  };
  for (const auto& c : cases) {
    std::string err = parse_err(c.text);
    EXPECT_NE(err.find(c.expect), std::string::npos) << "text: " << c.text << "\nerror: " << err;
  }
  // The password itself is never quoted in an error.
  EXPECT_EQ(parse_err("a@b:hunter2\n").find("hunter2"), std::string::npos);
}

TEST(PasswdFile, DuplicateKeepsFirst) {
  auto users = parse_ok("a@b:\nA@B:*\nc@d:\n");
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].password, "");
  EXPECT_EQ(users[1].address, "c@d");
}

TEST(PasswdFile, FormatRoundTrips) {
  User u{"a@b.example", kSha512Secret, "", "", "", "/home/a", "", ""};
  EXPECT_EQ(format_passwd_line(u), std::string("a@b.example:") + kSha512Secret + "::::/home/a");
  EXPECT_EQ(format_passwd_line(User{"x@y", "", "", "", "", "", "", ""}), "x@y:");
  User full{"e@x", kBcryptUU, "1", "2", "G", "/h", "/s", "k=v:w"};
  auto back = parse_ok(format_passwd_line(full));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].extra, "k=v:w");
  EXPECT_EQ(back[0].shell, "/s");
  EXPECT_EQ(format_passwd_line(back[0]), format_passwd_line(full));
}

TEST(PasswdFile, CheckUser) {
  EXPECT_TRUE(check_user(User{"a@b", "", "1", "", "", "/h", "", "x:y"}).ok());
  EXPECT_FALSE(check_user(User{"a@b", "", "1:2", "", "", "", "", ""}).ok());
  EXPECT_FALSE(check_user(User{"a@b", "", "", "", "", "/h\n", "", ""}).ok());
  EXPECT_FALSE(check_user(User{"a@b", "", "", "", "", "", "", "x\ny"}).ok());
  EXPECT_FALSE(check_user(User{"a@b", "plain", "", "", "", "", "", ""}).ok());
  EXPECT_FALSE(check_user(User{"", "", "", "", "", "", "", ""}).ok());
}

TEST(Password, HashAndVerifyRoundTrip) {
  auto h = hash_password("correct horse");
  ASSERT_TRUE(h.ok()) << h.error().detail;
  EXPECT_EQ(h->rfind("$y$", 0), 0u) << *h;
  EXPECT_TRUE(check_crypt_string(*h).ok());
  EXPECT_TRUE(verify_password("correct horse", *h));
  EXPECT_FALSE(verify_password("correct horsf", *h));
  EXPECT_FALSE(verify_password("", *h));
  auto h2 = hash_password("correct horse");
  ASSERT_TRUE(h2.ok());
  EXPECT_NE(*h, *h2);  // salted
}

TEST(Password, HashRefusesBadInput) {
  EXPECT_FALSE(hash_password("").ok());
  EXPECT_FALSE(hash_password(std::string("a\0b", 3)).ok());
  EXPECT_FALSE(hash_password(std::string(5000, 'x')).ok());
}

TEST(Password, KnownVectors) {
  EXPECT_TRUE(verify_password("secret", kSha512Secret));
  EXPECT_FALSE(verify_password("Secret", kSha512Secret));
  EXPECT_TRUE(verify_password("U*U", kBcryptUU));
  std::string b(kBcryptUU);
  b[2] = 'b';
  EXPECT_TRUE(verify_password("U*U", b));
  b[2] = 'y';
  EXPECT_TRUE(verify_password("U*U", b));
  EXPECT_FALSE(verify_password("U*V", b));
  EXPECT_TRUE(verify_password("secret", "$y$j9T$saltsaltsaltsalt$.Zt5W26jjocuW0wIHGgB6AJelofw6GEpOypHGyow2y5"));
  EXPECT_TRUE(verify_password("secret", kMd5Secret));
}

TEST(Password, BcryptGeneratedByLibxcrypt) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  ASSERT_NE(crypt_gensalt_rn("$2b$", 5, nullptr, 0, salt, sizeof salt), nullptr);
  crypt_data data{};
  const char* h = crypt_rn("pässword", salt, &data, sizeof data);
  ASSERT_NE(h, nullptr);
  std::string hash(h);
  EXPECT_TRUE(verify_password("pässword", hash));
  EXPECT_FALSE(verify_password("password", hash));
}

TEST(Password, NeverMatches) {
  EXPECT_FALSE(verify_password("", ""));
  EXPECT_FALSE(verify_password("x", ""));
  EXPECT_FALSE(verify_password("x", "*"));
  EXPECT_FALSE(verify_password("*0", "*0"));
  EXPECT_FALSE(verify_password("*1", "*1"));
  EXPECT_FALSE(verify_password("secret", std::string("!") + kSha512Secret));
  EXPECT_FALSE(verify_password(std::string("secret\0x", 8), kSha512Secret));
  EXPECT_FALSE(verify_password("secret", std::string(kSha512Secret) + "x"));
  EXPECT_FALSE(verify_password("secret", "$6$saltsalt$"));
  EXPECT_FALSE(verify_password("secret", "garbage"));
}

TEST(UserDb, MissingFileIsEmpty) {
  TempDir d;
  auto db = UserDb::open("passwd-file:" + d.file("users"));
  ASSERT_TRUE(db.ok()) << db.error().detail;
  EXPECT_TRUE((*db)->users().empty());
  EXPECT_FALSE((*db)->find("a@b").has_value());
}

TEST(UserDb, BadSpecAndBadFile) {
  TempDir d;
  EXPECT_FALSE(UserDb::open("ldap:/x").ok());
  EXPECT_FALSE(UserDb::open("passwd-file:").ok());
  spit(d.file("users"), "a@b:plaintext\n");
  auto db = UserDb::open("passwd-file:" + d.file("users"));
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.error().detail.find(d.file("users") + ":1:"), std::string::npos) << db.error().detail;
}

TEST(UserDb, AddFindPasswdRemove) {
  TempDir d;
  std::string path = d.file("users");
  spit(path, "# managed by hand too\nold@example.com:" + std::string(kSha512Secret) + "::::/home/old\n");
  auto db = UserDb::open("passwd-file:" + path);
  ASSERT_TRUE(db.ok()) << db.error().detail;
  UserDb& u = **db;
  ASSERT_EQ(u.users().size(), 1u);

  auto h = hash_password("pw1");
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(u.add(User{"New@Example.com", *h, "", "", "", "/home/new", "", "quota=1G"}).ok());
  auto found = u.find("NEW@example.COM");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->address, "new@example.com");
  EXPECT_TRUE(verify_password("pw1", found->password));

  auto dup = u.add(User{"new@example.com", "", "", "", "", "", "", ""});
  ASSERT_FALSE(dup.ok());
  EXPECT_TRUE(dup.error().is_permanent());
  EXPECT_FALSE(u.add(User{"bad user", "", "", "", "", "", "", ""}).ok());

  auto h2 = hash_password("pw2");
  ASSERT_TRUE(h2.ok());
  ASSERT_TRUE(u.set_password("old@EXAMPLE.com", *h2).ok());
  EXPECT_TRUE(verify_password("pw2", u.find("old@example.com")->password));
  EXPECT_EQ(u.find("old@example.com")->home, "/home/old");  // other fields kept
  EXPECT_FALSE(u.set_password("old@example.com", "plaintext").ok());
  auto missing = u.set_password("nobody@example.com", *h2);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.error().is_permanent());

  // The file keeps the comment, and a fresh reader sees the changes.
  std::string text = slurp(path);
  EXPECT_EQ(text.rfind("# managed by hand too\n", 0), 0u) << text;
  auto again = UserDb::open("passwd-file:" + path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->users().size(), 2u);
  EXPECT_TRUE(verify_password("pw2", (*again)->find("old@example.com")->password));

  ASSERT_TRUE(u.remove("OLD@example.com").ok());
  EXPECT_FALSE(u.find("old@example.com").has_value());
  auto gone = u.remove("old@example.com");
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(gone.error().is_permanent());
  EXPECT_EQ(u.users().size(), 1u);
  EXPECT_EQ(slurp(path).find("old@"), std::string::npos);

  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(::stat((path + ".lock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST(UserDb, RemoveDropsDuplicateLines) {
  TempDir d;
  std::string path = d.file("users");
  spit(path, "a@b:\nc@d:\nA@B:*\n");
  auto db = UserDb::open("passwd-file:" + path);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->remove("a@b").ok());
  EXPECT_EQ(slurp(path), "c@d:\n");
}

TEST(UserDb, ConcurrentAddsAreNotLost) {
  TempDir d;
  std::string spec = "passwd-file:" + d.file("users");
  auto worker = [&](int n) {
    auto db = UserDb::open(spec);
    ASSERT_TRUE(db.ok());
    for (int i = 0; i < 10; ++i) {
      auto st = (*db)->add(User{"u" + std::to_string(n) + "-" + std::to_string(i) + "@x", "", "", "", "", "", "", ""});
      ASSERT_TRUE(st.ok()) << st.error().detail;
    }
  };
  std::thread t1(worker, 1), t2(worker, 2);
  t1.join();
  t2.join();
  auto db = UserDb::open(spec);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ((*db)->users().size(), 20u);
}

}  // namespace

TEST(PasswdFile, NamesThatCannotBeMailboxesAreSkipped) {
  auto users = parse_ok(
      "a/../../../x@virt.test:\n"
      "ok@virt.test:\n"
      "..@virt.test:\n"
      ".hidden@virt.test:\n"
      "x@..:\n"
      "evil/name:\n"
      "plain:\n");
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].address, "ok@virt.test");
  EXPECT_EQ(users[1].address, "plain");
}

TEST(PasswdFile, CheckUserRefusesPathNames) {
  for (const char* name : {"a/b@virt.test", "..@virt.test", ".x@virt.test", "x@.virt.test", "x@a/b", "a\x01@b"})
    EXPECT_FALSE(check_user(User{name, "", "", "", "", "", "", ""}).ok()) << name;
}

TEST(UserDb, AddRefusesAndRemoveCleansAPathName) {
  TempDir d;
  std::string path = d.file("users");
  spit(path, "a/../x@virt.test:\nok@virt.test:\n");
  auto db = UserDb::open("passwd-file:" + path);
  ASSERT_TRUE(db.ok()) << db.error().detail;
  EXPECT_FALSE((*db)->find("a/../x@virt.test").has_value());
  EXPECT_TRUE((*db)->find("ok@virt.test").has_value());
  EXPECT_FALSE((*db)->add(User{"b/c@virt.test", "", "", "", "", "", "", ""}).ok());
  // The administrator can still remove the skipped line with the tool.
  EXPECT_TRUE((*db)->remove("a/../x@virt.test").ok());
  EXPECT_EQ(slurp(path), "ok@virt.test:\n");
}
