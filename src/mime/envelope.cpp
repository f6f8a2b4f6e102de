// ENVELOPE (see envelope.h).
#include "mime/envelope.h"

#include <gmime/gmime.h>

#include <optional>

#include "imap/proto/response.h"
#include "mime/gmime_init.h"
#include "mime/header_fields.h"
#include "mime/limits.h"
#include "mime/message.h"

namespace tern::mime {

namespace {

bool ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

std::string display_name(const char* name) {
  if (!name || !*name) return "NIL";
  if (ascii(name)) return imap::format_string(name);
  char* encoded = g_mime_utils_header_encode_phrase(nullptr, name, nullptr);
  std::string out = encoded ? encoded : name;
  g_free(encoded);
  while (!out.empty() && out.front() == ' ') out.erase(0, 1);
  return imap::format_string(out);
}

void write_mailbox(std::string& out, InternetAddress* a) {
  const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
  std::string_view full = addr ? addr : "";
  size_t at = full.rfind('@');
  std::string_view local = at == std::string_view::npos ? full : full.substr(0, at);
  std::string_view domain = at == std::string_view::npos ? "" : full.substr(at + 1);
  out += '(';
  out += display_name(internet_address_get_name(a));
  out += " NIL ";
  out += imap::format_string(local.empty() ? "MISSING_MAILBOX" : local);
  out += ' ';
  out += imap::format_string(domain.empty() ? "MISSING_DOMAIN" : domain);
  out += ')';
}

// "((...)(...))", or empty when the list has no address.
std::string address_list(const std::optional<std::string>& value) {
  if (!value) return {};
  ensure_gmime();
  std::string text = value->substr(0, max_address_header_bytes);
  InternetAddressList* list = internet_address_list_parse(nullptr, text.c_str());
  if (!list) return {};
  std::string out;
  size_t written = 0;
  int n = internet_address_list_length(list);
  for (int i = 0; i < n && written < max_addresses; ++i) {
    InternetAddress* a = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(a)) {
      out += "(NIL NIL " + imap::format_string(internet_address_get_name(a) ? internet_address_get_name(a) : "") +
             " NIL)";
      InternetAddressList* members = internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a));
      int m = members ? internet_address_list_length(members) : 0;
      for (int j = 0; j < m && ++written < max_addresses; ++j) {
        InternetAddress* member = internet_address_list_get_address(members, j);
        if (INTERNET_ADDRESS_IS_MAILBOX(member)) write_mailbox(out, member);
      }
      out += "(NIL NIL NIL NIL)";
    } else {
      write_mailbox(out, a);
    }
    ++written;
  }
  g_object_unref(list);
  return out.empty() ? out : "(" + out + ")";
}

std::string or_nil(const std::string& list) { return list.empty() ? "NIL" : list; }

}  // namespace

std::string envelope_of(std::string_view header) {
  std::vector<Field> fields = header_fields(header);
  std::string from = address_list(first_value(fields, "From"));
  std::string sender = address_list(first_value(fields, "Sender"));
  std::string reply_to = address_list(first_value(fields, "Reply-To"));
  std::string out = "(";
  out += imap::format_nstring(first_value(fields, "Date"));
  out += ' ' + imap::format_nstring(first_value(fields, "Subject"));
  out += ' ' + or_nil(from);
  out += ' ' + or_nil(sender.empty() ? from : sender);
  out += ' ' + or_nil(reply_to.empty() ? from : reply_to);
  out += ' ' + or_nil(address_list(first_value(fields, "To")));
  out += ' ' + or_nil(address_list(first_value(fields, "Cc")));
  out += ' ' + or_nil(address_list(first_value(fields, "Bcc")));
  out += ' ' + imap::format_nstring(first_value(fields, "In-Reply-To"));
  out += ' ' + imap::format_nstring(first_value(fields, "Message-ID"));
  out += ')';
  return out;
}

std::string Message::envelope() const {
  const Entity& root = tree().root;
  return envelope_of(crlf().substr(root.begin, root.body_begin - root.begin));
}

}  // namespace tern::mime
