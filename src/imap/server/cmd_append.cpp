// APPEND (RFC 9051 6.3.12) with UIDPLUS's APPENDUID (RFC 4315). The
// message literal was streamed into append_buf_ by the session loop
// (decide_literal: a missing mailbox was refused with NO [TRYCREATE] before
// any "+", a literal over message_size_limit by the reader with TOOBIG);
// here the optional flag list and date-time are checked, and the message
// is stored with LF line ends, as delivery stores it.
#include "imap/proto/store.h"
#include "imap/server/flags.h"
#include "imap/server/message_text.h"
#include "imap/server/session.h"

namespace tern::imap {

asio::awaitable<void> Session::cmd_append(const Call& k) {
  const auto& a = k.c.args;
  if (a.size() < 2 || a.size() > 4 || !a.back().streamed) {
    bad(k, "APPEND takes a mailbox, optional flags and date, and a literal.");
    co_return;
  }
  auto folder = folder_arg(k, 0);
  if (!folder) co_return;
  store::MessageFlags flags = 0;
  std::vector<std::string> keywords;
  int64_t date = 0;
  for (size_t i = 1; i + 1 < a.size(); ++i) {
    if (a[i].kind == Value::Kind::list && i == 1) {
      auto list = parse_flag_list(a[i]);
      if (!list) {
        bad(k, "Invalid flags.");
        co_return;
      }
      SplitFlags split = split_flags(*list);
      flags = split.system;
      keywords = std::move(split.keywords);
    } else if (a[i].kind == Value::Kind::quoted) {
      auto t = parse_date_time(a[i].text);
      if (!t) {
        bad(k, "Invalid date-time.");
        co_return;
      }
      date = *t;
    } else {
      bad(k, "APPEND takes a mailbox, optional flags and date, and a literal.");
      co_return;
    }
  }
  bool selected = box_ && box_->name() == *folder;
  std::unique_ptr<store::Mailbox> other;
  if (!selected) {
    auto opened = store_->open(*folder);
    if (!opened) {
      if (opened.error().is_temporary()) store_error(k, opened.error(), "APPEND");
      else no(k, "[TRYCREATE] Mailbox does not exist.");
      co_return;
    }
    other = std::move(*opened);
  }
  store::Mailbox& dest = selected ? *box_ : *other;
  auto uid = dest.append(to_lf(append_buf_), flags, date);
  append_buf_.clear();
  if (!uid) {
    store_error(k, uid.error(), "APPEND");
    co_return;
  }
  if (!keywords.empty()) {
    // The store sets keywords on messages it lists: the new one is listed after a refresh.
    (void)dest.refresh();
    if (auto r = dest.set_keywords(*uid, keywords, {}); !r) {
      no(k, "[LIMIT] Appended without its keywords: too many keywords in this mailbox.");
      co_return;
    }
  }
  ok(k, "[APPENDUID " + std::to_string(dest.uidvalidity()) + " " + std::to_string(*uid) + "] Append completed.");
}

}  // namespace tern::imap
