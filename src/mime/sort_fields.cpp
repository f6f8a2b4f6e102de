// SORT's fields of a header (see sort_fields.h).
#include "mime/sort_fields.h"

#include <gmime/gmime.h>

#include "mime/gmime_init.h"
#include "mime/header_fields.h"
#include "imap/proto/thread.h"
#include "mime/limits.h"

namespace tern::mime {
namespace {

struct FirstAddress {
  std::string mailbox;    // addr-mailbox: the local part (RFC 5256 "FROM")
  std::string display;    // the display name, or else the addr-spec (RFC 5957)
};

std::optional<FirstAddress> first_address(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  std::string text = value->substr(0, max_address_header_bytes);
  InternetAddressList* list = internet_address_list_parse(nullptr, text.c_str());
  if (!list) return std::nullopt;
  std::optional<FirstAddress> out;
  // The first mailbox, also inside a group.
  int n = internet_address_list_length(list);
  for (int i = 0; i < n && i < static_cast<int>(max_addresses) && !out; ++i) {
    InternetAddress* a = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(a)) {
      InternetAddressList* members = internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a));
      if (members && internet_address_list_length(members) > 0) a = internet_address_list_get_address(members, 0);
      else continue;
    }
    if (!INTERNET_ADDRESS_IS_MAILBOX(a)) continue;
    const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
    const char* name = internet_address_get_name(a);
    std::string full = addr ? addr : "";
    size_t at = full.rfind('@');
    out = FirstAddress{at == std::string::npos ? full : full.substr(0, at), name && *name ? name : full};
  }
  g_object_unref(list);
  return out;
}

}  // namespace

imap::SortFields sort_fields_of(std::string_view header) {
  ensure_gmime();
  std::vector<Field> fields = header_fields(header);
  imap::SortFields f;
  if (auto subject = first_value(fields, "Subject")) {
    std::string raw = subject->substr(0, max_sort_subject_bytes);
    char* decoded = g_mime_utils_header_decode_text(nullptr, raw.c_str());
    f.subject = decoded ? decoded : raw;
    g_free(decoded);
  }
  if (auto from = first_address(first_value(fields, "From"))) {
    f.from = from->mailbox;
    f.display_from = from->display;
  }
  if (auto to = first_address(first_value(fields, "To"))) {
    f.to = to->mailbox;
    f.display_to = to->display;
  }
  if (auto cc = first_address(first_value(fields, "Cc"))) f.cc = cc->mailbox;
  if (auto id = first_value(fields, "Message-ID")) {
    auto ids = imap::message_ids(*id, 1);
    if (!ids.empty()) f.message_id = ids.front();
  }
  if (auto refs = first_value(fields, "References")) f.references = imap::message_ids(*refs);
  if (f.references.empty())
    if (auto reply_to = first_value(fields, "In-Reply-To")) {
      auto ids = imap::message_ids(*reply_to);
      if (!ids.empty()) f.references.push_back(ids.front());
    }
  if (auto date = first_value(fields, "Date")) {
    std::string text = date->substr(0, 256);
    if (GDateTime* t = g_mime_utils_header_decode_date(text.c_str())) {
      f.date_s = g_date_time_to_unix(t);
      g_date_time_unref(t);
    }
  }
  return f;
}

}  // namespace tern::mime
