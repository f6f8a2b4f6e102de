// APPEND (RFC 9051 6.3.12) with UIDPLUS's APPENDUID (RFC 4315) and
// MULTIAPPEND (RFC 3502: several messages in one command, all or none),
// RFC 6855's "UTF8 (~{n})" form of a message and CATENATE's (RFC 4469, its
// URL parts in cmd_catenate.cpp).
// Each message literal was written into a draft in the destination as it came
// (decide_literal opened the draft: a missing mailbox was refused with NO
// [TRYCREATE] before any "+", a literal over message_size_limit by the
// reader with TOOBIG); here the flags and dates are checked and the drafts
// committed in order. Messages are stored with LF line ends, as delivery
// stores them; a draft not committed is removed when the command ends.
#include "base/log.h"
#include "imap/proto/sequence_set.h"
#include "imap/proto/store.h"
#include "imap/server/flags.h"
#include "imap/server/message_text.h"
#include "imap/server/session.h"

namespace tern::imap {
namespace {

// RFC 6855 4: "UTF8 (~{n}...)" wraps a message with UTF-8 headers; a[i] is
// the UTF8 atom, a[i + 1] the list holding the streamed literal8.
bool utf8_data(const std::vector<Value>& a, size_t i) {
  return i + 1 < a.size() && a[i].keyword() == "UTF8" && a[i + 1].kind == Value::Kind::list &&
         a[i + 1].items.size() == 1 && a[i + 1].items[0].streamed && a[i + 1].items[0].binary;
}

// RFC 4469: CATENATE (cat-part *(SP cat-part)), a part being TEXT and a
// streamed literal, URL and an astring, or RFC 6855's UTF8 and a list
// holding a literal8.
bool catenate_syntax_ok(const std::vector<Value>& a, size_t i) {
  if (i + 1 >= a.size() || a[i + 1].kind != Value::Kind::list || a[i + 1].items.empty()) return false;
  const auto& parts = a[i + 1].items;
  for (size_t j = 0; j < parts.size(); j += 2) {
    std::string what = parts[j].keyword();
    if (j + 1 >= parts.size()) return false;
    if (what == "TEXT" && parts[j + 1].streamed) continue;
    if (utf8_data(parts, j)) continue;  // RFC 6855: cat-part =/ "UTF8" SP "(" literal8 ")"
    if (what == "URL" && parts[j + 1].astring() && !parts[j + 1].streamed) continue;
    return false;
  }
  return true;
}

}  // namespace

void Session::append_chunk(std::string_view chunk) {
  if (append_error_ || drafts_.empty()) return;  // the bytes are read and dropped; the APPEND fails
  if (Status st = drafts_.back()->write(lf_.convert(chunk)); !st) append_error_ = st.error();
}

void Session::finish_draft() {
  std::string tail = lf_.finish();
  if (!tail.empty() && !append_error_ && !drafts_.empty())
    if (Status st = drafts_.back()->write(tail); !st) append_error_ = st.error();
}

bool Session::open_append_dest(std::string_view name, std::string* refusal) {
  std::optional<std::string> folder = client_folder(name);
  if (!folder) {
    *refusal = "NO Invalid mailbox name.";
    return false;
  }
  if (box_ && box_->name() == *folder) {
    append_dest_ = box_.get();
    return true;
  }
  auto opened = store_->open(*folder);
  if (!opened && opened.error().is_temporary()) {
    log::warn("imap: {}: user={}: APPEND: {}", client_name_, user_, opened.error().detail);
    *refusal = "NO [UNAVAILABLE] APPEND failed; try again later.";
    return false;
  }
  if (!opened) {
    *refusal = "NO [TRYCREATE] Mailbox does not exist.";
    return false;
  }
  append_box_ = std::move(*opened);
  append_dest_ = append_box_.get();
  return true;
}

bool Session::begin_message() {
  if (!drafts_.empty()) finish_draft();
  lf_ = LfStream{};
  message_bytes_ = 0;
  if (append_error_) return false;
  auto draft = append_dest_->begin_append();
  if (!draft) {
    append_error_ = draft.error();
    return false;
  }
  drafts_.push_back(std::move(*draft));
  return true;
}

void Session::end_append() {
  appending_ = false;
  append_refusal_.clear();
  message_bytes_ = 0;
  cat_arg_ = 1;
  cat_item_ = 0;
  cat_begun_ = false;
  drafts_.clear();  // before the mailbox they write into
  append_box_.reset();
  append_dest_ = nullptr;
  append_error_.reset();
  append_bytes_ = 0;
  lf_ = LfStream{};
}

asio::awaitable<void> Session::cmd_append(const Call& k) {
  const auto& a = k.c.args;
  const char* usage = "APPEND takes a mailbox, then for each message optional flags and date, and a literal.";
  if (a.size() < 2) {
    bad(k, usage);
    co_return;
  }
  auto folder = folder_arg(k, 0);
  if (!folder) co_return;
  struct Message {
    store::MessageFlags flags = 0;
    std::vector<std::string> keywords;
    int64_t date = 0;
  };
  std::vector<Message> messages;
  Message next;
  int seen = 0;  // of the current message: 0 nothing yet, 1 flags, 2 date
  for (size_t i = 1; i < a.size(); ++i) {
    size_t data = a[i].streamed ? 1 : utf8_data(a, i) ? 2 : a[i].keyword() == "CATENATE" ? 2 : 0;
    if (data == 2 && a[i].keyword() == "CATENATE" && !catenate_syntax_ok(a, i)) {
      bad(k, "CATENATE takes a list of TEXT literals and URLs.");
      co_return;
    }
    if (data > 0) {
      i += data - 1;
      messages.push_back(std::move(next));
      next = Message{};
      seen = 0;
    } else if (a[i].kind == Value::Kind::list && seen == 0) {
      auto list = parse_flag_list(a[i]);
      if (!list) {
        bad(k, "Invalid flags.");
        co_return;
      }
      SplitFlags split = split_flags(*list);
      next.flags = split.system;
      next.keywords = std::move(split.keywords);
      seen = 1;
    } else if (a[i].kind == Value::Kind::quoted && seen < 2) {
      auto t = parse_date_time(a[i].text);
      if (!t) {
        bad(k, "Invalid date-time.");
        co_return;
      }
      next.date = *t;
      seen = 2;
    } else {
      bad(k, usage);
      co_return;
    }
  }
  if (seen != 0 || messages.empty()) {  // flags or a date after the last message
    bad(k, usage);
    co_return;
  }
  // A CATENATE message of URLs only had no literal to open the destination.
  if (!append_dest_) {
    std::string refusal;
    if (!open_append_dest(*a[0].astring(), &refusal)) {
      out_ += k.c.tag + " " + refusal + "\r\n";
      co_return;
    }
  }
  catenate_walk(a, false);  // the URL parts after the last literal
  if (!append_refusal_.empty()) {
    no(k, append_refusal_);
    co_return;
  }
  if (append_error_) {
    store_error(k, *append_error_, "APPEND");
    co_return;
  }
  if (messages.size() != drafts_.size()) {  // a literal was not streamed into a draft
    no(k, "[CANNOT] APPEND failed.");
    co_return;
  }
  finish_draft();
  if (append_error_) {
    store_error(k, *append_error_, "APPEND");
    co_return;
  }
  store::Mailbox& dest = *append_dest_;
  std::vector<uint32_t> uids;
  for (size_t i = 0; i < messages.size(); ++i) {
    auto uid = drafts_[i]->commit(messages[i].flags, messages[i].keywords, messages[i].date);
    if (!uid) {
      // All or none (RFC 3502): what this command already stored goes again.
      take_back(dest, uids, "APPEND");
      if (uid.error().dsn == "5.5.4") no(k, "[LIMIT] Too many keywords in this mailbox.");
      else store_error(k, uid.error(), "APPEND");
      co_return;
    }
    uids.push_back(*uid);
  }
  ok(k, "[APPENDUID " + std::to_string(dest.uidvalidity()) + " " + format_sequence_set(uids) + "] Append completed.");
}

// Messages a failed APPEND or COPY stored already are expunged again (the
// store expunges what its snapshot lists: refresh first); their UIDs are
// never reused.
void Session::take_back(store::Mailbox& dest, const std::vector<uint32_t>& made, std::string_view what) {
  if (made.empty()) return;
  if (auto r = dest.refresh(); !r) {
    log::warn("imap: {}: user={}: {}: cannot take back {} messages from {}: {}", client_name_, user_, what,
              made.size(), dest.name(), r.error().detail);
    return;
  }
  if (Status st = dest.expunge_all(made); !st)
    log::warn("imap: {}: user={}: {}: cannot take back {} messages from {}: {}", client_name_, user_, what,
              made.size(), dest.name(), st.error().detail);
}

}  // namespace tern::imap
