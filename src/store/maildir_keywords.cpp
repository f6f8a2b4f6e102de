// MaildirMailbox's keywords (see maildir_mailbox.h and keywords.h): the
// names of a file's letters, and letters for new names, given under the
// uidlist lock in dovecot-keywords as Dovecot gives them.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "base/fs.h"
#include "store/maildir_mailbox.h"
#include "store/uidlist_file.h"

namespace tern::store {

std::vector<std::string> MaildirMailbox::keywords() const {
  std::vector<std::string> out;
  for (const std::string& k : keywords_)
    if (!k.empty()) out.push_back(k);
  return out;
}

std::vector<std::string> MaildirMailbox::keyword_names(std::string_view letters) const {
  std::vector<std::string> out;
  for (char c : letters)
    if (c >= 'a' && c <= 'z' && !keywords_[static_cast<size_t>(c - 'a')].empty())
      out.push_back(keywords_[static_cast<size_t>(c - 'a')]);
  return out;
}

// The letters of names; with create, names the folder lacks get free
// letters (under the uidlist lock, the file rewritten and fsynced).
Result<std::string> MaildirMailbox::letters_for(const std::vector<std::string>& names, bool create) {
  for (const std::string& n : names)
    if (!keyword_ok(n)) return Error::with_dsn("5.5.4", fmt::format("not a keyword: {}", n));
  auto all_known = [&](std::string* out) {
    out->clear();
    bool all = true;
    for (const std::string& n : names) {
      if (auto c = keyword_letter(keywords_, n))
        *out += *c;
      else
        all = false;
    }
    return all;
  };
  std::string letters;
  if (all_known(&letters) || !create) return letters;
  auto lock = UidlistLock::acquire(dir_fd_.get(), dir_);
  if (!lock) return lock.error();
  if (Status st = load_keywords(/*force=*/true); !st) return st.error();
  KeywordTable table = keywords_;
  for (const std::string& n : names) {
    if (keyword_letter(table, n)) continue;
    auto free_slot = std::find(table.begin(), table.end(), std::string());
    if (free_slot == table.end())
      return Error::with_dsn("5.5.4", fmt::format("{}: no room for keyword {} (at most {})", dir_, n, kMaxKeywords));
    *free_slot = n;
  }
  const std::string tmp = std::string(kKeywordsName) + ".lock", path = fs::join(dir_, kKeywordsName);
  ::unlinkat(dir_fd_.get(), tmp.c_str(), 0);  // we hold the uidlist lock: any such file is stale
  UniqueFd fd(::openat(dir_fd_.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return fs::errno_error("create", path + ".lock", errno);
  Status st = fs::write_all(fd.get(), format_keywords(table), path);
  if (st) st = fs::fsync_fd(fd.get(), path);
  if (st && ::renameat(dir_fd_.get(), tmp.c_str(), dir_fd_.get(), kKeywordsName) != 0)
    st = fs::errno_error("rename to", path, errno);
  if (!st) {
    ::unlinkat(dir_fd_.get(), tmp.c_str(), 0);
    return st.error();
  }
  if (Status d = fs::fsync_fd(dir_fd_.get(), dir_); !d) return d.error();
  keywords_ = table;
  all_known(&letters);
  return letters;
}

}  // namespace tern::store
