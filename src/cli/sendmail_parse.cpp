// The pure parts of sendmail(1): see sendmail_parse.h.
#include "cli/sendmail_parse.h"

#include <cstring>

#include <fmt/format.h>

#include "base/strings.h"
#include "mail/address.h"
#include "mail/headers.h"

namespace tern::cli {

int parse_sendmail_args(const std::vector<std::string>& args, SendmailOptions& o, std::string& error) {
  static const char* with_arg = "BCFNRVLhOXfr";  // flags that take a value
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;
    char f = a[1];
    std::string rest = a.substr(2);
    if (f == 'b') {
      o.mode = rest;
      continue;
    }
    if (f == 'o') {
      if (rest == "i") o.ignore_dots = true;
      if (rest.empty() && i + 1 < args.size()) ++i;  // "-o value"
      continue;
    }
    if (f == 'i') {
      o.ignore_dots = true;
      continue;
    }
    if (f == 't') {
      o.extract = true;
      continue;
    }
    if (f == 'q') {
      // -q, -q30m, Exim's -qf and -qff: run the queue now. Sendmail's
      // -qRsite (and -qR site): only the mail for that domain.
      o.mode = "q";
      if (!rest.empty() && rest[0] == 'R') {
        o.site = rest.substr(1);
        if (o.site.empty() && i + 1 < args.size()) o.site = args[++i];
        if (o.site.empty()) {
          error = "option -qR requires a site";
          return 64;
        }
      }
      continue;
    }
    if (f == 'M' && (rest.empty() || rest == "rm" || rest == "f" || rest == "t")) {
      // Exim's -M ID (deliver now), -Mrm ID (remove), -Mf ID (freeze: hold)
      // and -Mt ID (thaw: release); the IDs follow.
      o.mode = "M" + rest;
      ++i;
      break;
    }
    if (f != '\0' && std::strchr(with_arg, f)) {
      std::string val = rest;
      if (val.empty()) {
        if (i + 1 >= args.size()) {
          error = fmt::format("option -{} requires a value", f);
          return 64;
        }
        val = args[++i];
      }
      if (f == 'C') o.config = val;
      if (f == 'f' || f == 'r') o.sender = val;
      if (f == 'F') o.full_name = val;
      continue;
    }
    if (f != '\0' && std::strchr("vmnUGAdeEH", f)) continue;  // accepted, no effect
    error = "unknown option -" + str::printable(std::string_view(&f, 1));
    return 64;
  }
  for (; i < args.size(); ++i) o.recipients.push_back(args[i]);
  return 0;
}

std::string read_sendmail_message(std::istream& in, bool ignore_dots, size_t limit, bool& too_big) {
  std::string out, line;
  too_big = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!ignore_dots && line == ".") break;
    out += line;
    out += '\n';
    if (out.size() > limit) {
      too_big = true;
      break;
    }
  }
  return out;
}

std::string qualify_address(std::string_view a, const std::string& origin) {
  std::string t(str::trim(a));
  if (t.size() >= 2 && t.front() == '<' && t.back() == '>') t = t.substr(1, t.size() - 2);
  if (!t.empty() && t.find('@') == std::string::npos) t += "@" + origin;
  return t;
}

HeaderSplice splice_headers(const std::string& msg, bool extract, const std::string& origin) {
  HeaderSplice s;
  auto headers = mail::parse_header_section(msg);
  size_t copied = 0;
  for (auto& f : headers.fields) {
    std::string n = str::lower(f.name);
    s.has_from |= n == "from";
    s.has_date |= n == "date";
    s.has_msgid |= n == "message-id";
    if (extract && (n == "to" || n == "cc" || n == "bcc"))
      for (auto& a : mail::extract_addresses(f.value)) s.recipients.push_back(qualify_address(a, origin));
    if (n == "bcc") {
      s.content += msg.substr(copied, f.begin - copied);
      copied = f.end;
    }
  }
  s.content += msg.substr(copied);
  s.body_only = headers.fields.empty() && headers.body_offset == 0;
  return s;
}

}  // namespace tern::cli
