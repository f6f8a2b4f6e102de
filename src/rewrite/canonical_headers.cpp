// Implementation of CanonicalHeaders (see canonical_headers.h).
#include "rewrite/canonical_headers.h"

#include <array>

#include "base/strings.h"
#include "mail/address_spans.h"

namespace tern::rewrite {

namespace {

struct HeaderClass {
  std::string_view name;
  Canonical::Class cls;
};

constexpr std::array kHeaders{
    HeaderClass{"from", Canonical::header_sender},          HeaderClass{"sender", Canonical::header_sender},
    HeaderClass{"errors-to", Canonical::header_sender},     HeaderClass{"return-receipt-to", Canonical::header_sender},
    HeaderClass{"resent-from", Canonical::header_sender},   HeaderClass{"resent-sender", Canonical::header_sender},
    HeaderClass{"to", Canonical::header_recipient},         HeaderClass{"cc", Canonical::header_recipient},
    HeaderClass{"bcc", Canonical::header_recipient},        HeaderClass{"reply-to", Canonical::header_recipient},
    HeaderClass{"apparently-to", Canonical::header_recipient}, HeaderClass{"resent-to", Canonical::header_recipient},
    HeaderClass{"resent-cc", Canonical::header_recipient},  HeaderClass{"resent-bcc", Canonical::header_recipient},
    HeaderClass{"resent-reply-to", Canonical::header_recipient},
};

// The length of the field name if the line starts a field ("Name:", name
// bytes 33..126 but ':'), else 0.
size_t field_name_length(std::string_view line) {
  for (size_t i = 0; i < line.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == ':') return i;
    if (c < 33 || c > 126) return 0;
  }
  return 0;
}

bool is_blank_line(std::string_view line) { return line == "\n" || line == "\r\n"; }

unsigned class_of(std::string_view name) {
  for (auto& h : kHeaders)
    if (str::iequals(h.name, name)) return h.cls;
  return 0;
}

}  // namespace

Status CanonicalHeaders::feed(std::string_view chunk, std::string& out) {
  size_t i = 0;
  while (i < chunk.size()) {
    if (mode_ == Mode::body) {
      out.append(chunk.substr(i));
      return ok_status();
    }
    size_t nl = chunk.find('\n', i);
    size_t stop = nl == std::string_view::npos ? chunk.size() : nl + 1;
    if (raw_line_) {
      out.append(chunk.substr(i, stop - i));
      if (nl != std::string_view::npos) raw_line_ = false;
      i = stop;
      continue;
    }
    line_.append(chunk.substr(i, stop - i));
    i = stop;
    if (nl == std::string_view::npos) {
      // Held: the field this line continues, if any (line_done's test).
      bool continues = (line_[0] == ' ' || line_[0] == '\t') && in_field_;
      if ((continues ? field_.size() : 0) + line_.size() > max_field_)
        if (auto st = overflow(out); !st) return st;
      continue;
    }
    if (auto st = line_done(out); !st) return st;
  }
  return ok_status();
}

Status CanonicalHeaders::overflow(std::string& out) {
  // Too long to hold: the line so far goes out unchanged (and the field
  // held, when the line continues it).
  bool continuation = line_[0] == ' ' || line_[0] == '\t';
  if (!(continuation && in_field_))
    if (auto st = flush_field(out); !st) return st;
  if (continuation && in_field_) {
    // a field's continuation: the field (held or not) goes out as it is
  } else if (field_name_length(std::string_view(line_).substr(0, max_field_)) > 0) {
    in_field_ = true;
  } else {
    mode_ = Mode::body;  // not a header line: the body starts here
  }
  out += field_;
  field_.clear();
  field_class_ = 0;
  out += line_;
  line_.clear();
  raw_line_ = mode_ == Mode::header;
  return ok_status();
}

Status CanonicalHeaders::line_done(std::string& out) {
  std::string line;
  line.swap(line_);
  bool continuation = line[0] == ' ' || line[0] == '\t';
  if (continuation && in_field_) {
    if (field_class_ == 0) {
      out += line;
    } else if (field_.size() + line.size() > max_field_) {
      out += field_;
      out += line;
      field_.clear();
      field_class_ = 0;  // the rest of this field passes unchanged
    } else {
      field_ += line;
    }
    return ok_status();
  }
  if (auto st = flush_field(out); !st) return st;
  // Judged on the first max_field bytes only, as overflow() judges a line
  // it sees before its end: the outcome never depends on the chunking.
  size_t name = continuation ? 0 : field_name_length(std::string_view(line).substr(0, max_field_));
  if (is_blank_line(line) || name == 0) {
    mode_ = Mode::body;
    in_field_ = false;
    out += line;
    return ok_status();
  }
  in_field_ = true;
  unsigned cls = class_of(std::string_view(line).substr(0, name));
  if (cls && canonical_->active(cls) && line.size() <= max_field_) {
    field_class_ = cls;
    field_ = std::move(line);
  } else {
    out += line;
  }
  return ok_status();
}

Status CanonicalHeaders::flush_field(std::string& out) {
  if (field_class_ == 0) return ok_status();
  std::string field;
  field.swap(field_);
  auto cls = static_cast<Canonical::Class>(field_class_);
  field_class_ = 0;
  size_t colon = field.find(':') + 1;
  std::string_view value = std::string_view(field).substr(colon);
  size_t copied = 0;
  std::string result;
  for (auto span : mail::address_spans(value)) {
    std::string address(value.substr(span.begin, span.end - span.begin));
    if (address.find_first_of(" \t\r\n") != std::string::npos || address.find('@') == std::string::npos) continue;
    auto r = canonical_->rewrite(address, cls);
    if (!r) return r.error();
    if (*r == address) continue;
    result.append(value.substr(copied, span.begin - copied));
    result += *r;
    copied = span.end;
  }
  out.append(field, 0, colon);
  if (copied == 0 && result.empty()) {
    out.append(value);
  } else {
    out += result;
    out.append(value.substr(copied));
  }
  return ok_status();
}

Status CanonicalHeaders::finish(std::string& out) {
  if (!line_.empty() && mode_ == Mode::header && !raw_line_)
    if (auto st = line_done(out); !st) return st;
  out += line_;  // (empty unless passed through above)
  line_.clear();
  return flush_field(out);
}

}  // namespace tern::rewrite
