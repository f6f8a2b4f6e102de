// CATENATE (RFC 4469): an APPEND message put together from TEXT literals
// and URL parts, the URLs naming messages or sections in the user's own
// mailboxes (imap/proto/imap_url.h: "/Mailbox;UIDVALIDITY=n/;UID=n/;SECTION=s",
// imap://user@thishost/..., or ";UID=n..." in the selected mailbox). The
// parts go into the message's draft in order as they come: a TEXT literal
// streamed by decide_literal, a URL part here once the parts before it are
// written, so no more than one part is held in memory. A URL that names
// nothing (or another user, another server, a stale UIDVALIDITY, a missing
// part) fails the APPEND with NO [BADURL url]; a message over
// message_size_limit with NO [TOOBIG]; nothing of a failed APPEND is kept.
//
// SECURITY: URLs are client text. Only the logged-in user's MailStore is
// opened, through names.h like any mailbox name; the URL's user and host,
// when given, must be this user and this server (myhostname).
#include "base/log.h"
#include "imap/proto/chars.h"
#include "imap/proto/imap_url.h"
#include "imap/proto/mutf7.h"
#include "imap/server/message_structure.h"
#include "imap/server/message_text.h"
#include "imap/server/names.h"
#include "imap/server/session.h"

namespace tern::imap {
namespace {

// The URL as BADURL can carry it (url-resp-text: no "]", no CR, LF or NUL).
std::string badurl_text(std::string_view url) {
  std::string out;
  for (char c : url.substr(0, kMaxImapUrlBytes)) {
    auto u = static_cast<unsigned char>(c);
    if (c == ']' || u < 0x20 || u == 0x7f || u == 0xff) out += fmt::format("%{:02X}", u);
    else out += c;
  }
  return out;
}

}  // namespace

void Session::catenate_walk(const std::vector<Value>& a, bool list_open) {
  while (cat_arg_ < a.size()) {
    if (!append_refusal_.empty() || append_error_) return;
    if (a[cat_arg_].keyword() != "CATENATE" || cat_arg_ + 1 >= a.size() || a[cat_arg_ + 1].kind != Value::Kind::list) {
      ++cat_arg_;
      continue;
    }
    const auto& parts = a[cat_arg_ + 1].items;
    bool open = list_open && cat_arg_ + 2 == a.size();
    if (!cat_begun_) {
      if (!begin_message()) return;
      cat_begun_ = true;
    }
    while (cat_item_ + 1 < parts.size()) {
      const Value& v = parts[cat_item_ + 1];
      if (parts[cat_item_].keyword() == "URL" && !v.streamed && v.astring()) {
        if (!catenate_url(*v.astring())) return;
      }
      cat_item_ += 2;  // a TEXT literal or UTF8's list was streamed when it came
    }
    if (open) return;  // more parts are coming
    cat_arg_ += 2;
    cat_item_ = 0;
    cat_begun_ = false;
  }
}

bool Session::catenate_url(std::string_view url) {
  auto bytes = url_bytes(url);
  if (!bytes) return false;
  if (message_bytes_ + bytes->size() > set_.max_append_bytes) {
    append_refusal_ = "[TOOBIG] Message too big.";
    return false;
  }
  if (over_quota(append_bytes_ + bytes->size(), drafts_.size())) {
    append_refusal_ = "[OVERQUOTA] Quota exceeded (mailbox for user is full).";
    return false;
  }
  message_bytes_ += bytes->size();
  append_bytes_ += bytes->size();
  append_chunk(*bytes);
  return !append_error_;
}

std::optional<std::string> Session::url_bytes(std::string_view url) {
  auto refuse = [&](std::string_view why) {
    append_refusal_ = "[BADURL " + badurl_text(url) + "] " + std::string(why);
    return std::nullopt;
  };
  auto parsed = parse_imap_url(url);
  if (auto* e = std::get_if<std::string>(&parsed)) return refuse(*e + ".");
  const ImapUrl& u = std::get<ImapUrl>(parsed);
  if (u.base == ImapUrl::Base::absolute &&
      (!iequals(u.host, set_.hostname) || (!u.user.empty() && !iequals(u.user, user_))))
    return refuse("The URL names another server or user.");
  std::unique_ptr<store::Mailbox> opened;
  store::Mailbox* box = nullptr;
  if (u.base == ImapUrl::Base::selected) {
    if (!box_) return refuse("No mailbox is selected.");
    box = box_.get();
  } else {
    auto folder = folder_of_utf8(u.mailbox);  // RFC 5092: the name is UTF-8
    if (!folder) return refuse("No such mailbox.");
    if (box_ && box_->name() == *folder) {
      box = box_.get();
    } else {
      auto o = store_->open(*folder);
      if (!o && o.error().is_temporary()) {
        log::warn("imap: {}: user={}: CATENATE: {}", client_name_, user_, o.error().detail);
        append_refusal_ = "[UNAVAILABLE] APPEND failed; try again later.";
        return std::nullopt;
      }
      if (!o) return refuse("No such mailbox.");
      opened = std::move(*o);
      box = opened.get();
    }
  }
  if (u.uidvalidity != 0 && u.uidvalidity != box->uidvalidity()) return refuse("The UIDVALIDITY has changed.");
  const auto& msgs = box->messages();
  auto it = std::lower_bound(msgs.begin(), msgs.end(), u.uid,
                             [](const store::MessageInfo& m, uint32_t uid) { return m.uid < uid; });
  if (it == msgs.end() || it->uid != u.uid) return refuse("No such message.");
  auto raw = box->read(u.uid);
  if (!raw) {
    if (store::is_gone(raw.error())) return refuse("No such message.");
    log::warn("imap: {}: user={}: CATENATE: {}", client_name_, user_, raw.error().detail);
    append_refusal_ = "[UNAVAILABLE] APPEND failed; try again later.";
    return std::nullopt;
  }
  std::string msg = to_crlf(*raw);
  raw->clear();
  std::string part;
  if (!u.has_section) {
    part = std::move(msg);
  } else {
    using T = Section::Text;
    const Section& s = u.section;
    if (s.part.empty() && s.text == T::header) {
      part = header_of(msg);
    } else if (s.part.empty() && (s.text == T::header_fields || s.text == T::header_fields_not)) {
      part = header_fields(header_of(msg), s.fields, s.text == T::header_fields_not);
    } else if (s.part.empty() && s.text == T::text) {
      part = text_of(msg);
    } else {
      if (!services_->structure) return refuse("Sections of a message are not available.");
      auto got = services_->structure->parse(msg)->section(s);
      if (!got) return refuse("No such part of the message.");
      part = std::move(*got);
    }
  }
  if (u.has_partial) {
    if (u.partial_offset >= part.size()) part.clear();
    else part = part.substr(u.partial_offset, u.partial_length ? u.partial_length : std::string::npos);
  }
  return part;
}

}  // namespace tern::imap
