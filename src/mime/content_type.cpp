// Content-Type and Content-Disposition through GMime (see content_type.h).
#include "mime/content_type.h"

#include <gmime/gmime.h>

#include "mime/gmime_init.h"
#include "mime/header_fields.h"
#include "mime/limits.h"

namespace tern::mime {

namespace {

// The value cut to what GMime is given: max_header_value_bytes, and before
// the (max_params + 1)-th ';'.
std::string bounded(std::string_view value) {
  value = value.substr(0, max_header_value_bytes);
  size_t semis = 0;
  for (size_t i = 0; i < value.size(); ++i)
    if (value[i] == ';' && ++semis > max_params) return std::string(value.substr(0, i));
  return std::string(value);
}

bool attribute_char(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

std::string percent_encode(std::string_view bytes) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    if (attribute_char(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

// One GMime parameter in the form IMAP reports (see content_type.h).
Param imap_param(GMimeParam* p) {
  const char* name = g_mime_param_get_name(p);
  const char* value = g_mime_param_get_value(p);
  const char* charset = g_mime_param_get_charset(p);
  Param out{name ? name : "", value ? value : ""};
  if (!charset || !*charset) return out;
  std::string label = charset;
  std::string bytes = out.value;
  gsize written = 0;
  gchar* converted = g_convert(out.value.c_str(), static_cast<gssize>(out.value.size()), charset,
                               "UTF-8", nullptr, &written, nullptr);
  if (converted) {
    bytes.assign(converted, written);
    g_free(converted);
  } else {
    label = "UTF-8";
  }
  const char* lang = g_mime_param_get_lang(p);
  out.name += '*';
  out.value = label + "'" + (lang ? lang : "") + "'" + percent_encode(bytes);
  return out;
}

// Whether name was written in RFC 2231 form ("name*=", "name*0=") in raw.
bool starred(std::string_view raw, std::string_view name) {
  for (size_t pos = 0; pos + name.size() < raw.size(); ++pos) {
    if (raw[pos + name.size()] != '*' || !iequals(raw.substr(pos, name.size()), name)) continue;
    if (pos == 0 || raw[pos - 1] == ';' || raw[pos - 1] == ' ' || raw[pos - 1] == '\t') return true;
  }
  return false;
}

// Dovecot's order: parameters in plain form first, those in RFC 2231 form
// after them, each group in header order.
std::vector<Param> imap_params(GMimeParamList* list, std::string_view raw) {
  std::vector<Param> plain, extended;
  if (!list) return plain;
  int n = g_mime_param_list_length(list);
  for (int i = 0; i < n && plain.size() + extended.size() < max_params; ++i) {
    Param p = imap_param(g_mime_param_list_get_parameter_at(list, i));
    bool star = p.name.ends_with('*') || starred(raw, p.name);
    (star ? extended : plain).push_back(std::move(p));
  }
  plain.insert(plain.end(), extended.begin(), extended.end());
  return plain;
}

}  // namespace

MediaType parse_content_type(std::string_view value) {
  ensure_gmime();
  MediaType out;
  std::string text = bounded(value);
  GMimeContentType* ct = g_mime_content_type_parse(nullptr, text.c_str());
  if (!ct) return {"text", "plain", {{"charset", "us-ascii"}}, {}};
  const char* type = g_mime_content_type_get_media_type(ct);
  const char* subtype = g_mime_content_type_get_media_subtype(ct);
  if (!type || !*type || !subtype || !*subtype) {  // "/plain", "text/": what GMime does with nonsense
    type = "application";
    subtype = "octet-stream";
  }
  out.type = type;
  out.subtype = subtype;
  GMimeParamList* params = g_mime_content_type_get_parameters(ct);
  out.params = imap_params(params, text);
  if (GMimeParam* b = params ? g_mime_param_list_get_parameter(params, "boundary") : nullptr)
    if (const char* v = g_mime_param_get_value(b)) out.boundary = v;
  g_object_unref(ct);
  return out;
}

std::optional<Disposition> parse_disposition(std::string_view value) {
  ensure_gmime();
  std::string text = bounded(value);
  GMimeContentDisposition* cd = g_mime_content_disposition_parse(nullptr, text.c_str());
  if (!cd) return std::nullopt;
  Disposition out;
  if (const char* d = g_mime_content_disposition_get_disposition(cd)) out.value = d;
  out.params = imap_params(g_mime_content_disposition_get_parameters(cd), text);
  g_object_unref(cd);
  if (out.value.empty()) return std::nullopt;
  return out;
}

}  // namespace tern::mime
