// The MIME splitter (see tree.h).
#include "mime/tree.h"

#include <algorithm>
#include <string>

#include "mime/header_fields.h"
#include "mime/limits.h"

namespace tern::mime {

namespace {

struct State {
  std::string_view text;
  size_t entities = 0;
  bool cut = false;
  size_t closed_at = 0;  // where the last split's close delimiter ended, or npos
};

size_t next_line(std::string_view text, size_t pos, size_t end) {
  size_t lf = text.find('\n', pos);
  return lf == std::string_view::npos || lf >= end ? end : lf + 1;
}

// First byte after the header's empty line, or end when there is none.
size_t header_end(std::string_view text, size_t begin, size_t end) {
  for (size_t pos = begin; pos < end; pos = next_line(text, pos, end))
    if (text.substr(pos, std::min<size_t>(2, end - pos)) == "\r\n") return pos + 2;
  return end;
}

bool lower_equals(std::string_view a, std::string_view b) { return iequals(a, b); }

struct Delimiter {
  bool close = false;
  size_t line_end = 0;  // first byte after the delimiter line
};

// Whether the line at pos is "--boundary" or "--boundary--" followed only
// by blanks (RFC 2046 5.1.1).
bool delimiter_at(std::string_view text, size_t pos, size_t end, std::string_view boundary,
                  Delimiter& d) {
  if (end - pos < boundary.size() + 2 || text.substr(pos, 2) != "--" ||
      text.substr(pos + 2, boundary.size()) != boundary)
    return false;
  size_t q = pos + 2 + boundary.size();
  d.close = end - q >= 2 && text.substr(q, 2) == "--";
  if (d.close) q += 2;
  while (q < end && (text[q] == ' ' || text[q] == '\t')) ++q;
  if (q < end && text.substr(q, std::min<size_t>(2, end - q)) != "\r\n") return false;
  d.line_end = std::min(end, q + 2);
  return true;
}

MediaType opaque() { return {"application", "octet-stream", {}, {}}; }

Entity parse_entity(State& st, size_t begin, size_t end, size_t depth, bool digest_child);

// Moves the end of e, and of the message it holds if it is message/rfc822.
void extend_to(Entity& e, size_t end) {
  for (Entity* p = &e;; p = &p->children.front()) {
    p->end = end;
    if (p->kind != Entity::Kind::message) break;
  }
}

// The parts of a multipart body; false when no delimiter was found.
bool split(State& st, Entity& e, size_t depth) {
  std::string_view boundary = e.media.boundary;
  bool digest = lower_equals(e.media.subtype, "digest");
  size_t part_begin = 0;
  bool in_part = false;
  Delimiter d;
  for (size_t pos = e.body_begin; pos < e.end; pos = next_line(st.text, pos, e.end)) {
    if (!delimiter_at(st.text, pos, e.end, boundary, d)) continue;
    if (in_part) {
      // The CRLF before a delimiter belongs to the delimiter (RFC 2046
      // 5.1.1), except after a nested multipart's close delimiter, whose
      // line it ends (Dovecot counts it so).
      bool crlf = pos >= part_begin + 2 && st.text.substr(pos - 2, 2) == "\r\n";
      size_t part_end = crlf ? pos - 2 : part_begin;
      Entity child = parse_entity(st, part_begin, std::max(part_begin, part_end), depth + 1, digest);
      if (crlf && child.kind != Entity::Kind::leaf && st.closed_at == part_end) extend_to(child, pos);
      e.children.push_back(std::move(child));
    }
    if (d.close) {
      st.closed_at = d.line_end;
      return in_part || !e.children.empty();
    }
    if (st.entities >= max_parts) {
      st.cut = true;
      st.closed_at = std::string_view::npos;
      return !e.children.empty();
    }
    ++st.entities;  // counted before it is parsed, so the total never passes max_parts
    part_begin = d.line_end;
    in_part = true;
  }
  if (in_part) e.children.push_back(parse_entity(st, part_begin, e.end, depth + 1, digest));  // unterminated
  st.closed_at = std::string_view::npos;
  return in_part;
}

Entity parse_entity(State& st, size_t begin, size_t end, size_t depth, bool digest_child) {
  Entity e;
  e.begin = begin;
  e.end = end;
  e.body_begin = header_end(st.text, begin, end);
  std::vector<Field> fields = header_fields(st.text.substr(begin, e.body_begin - begin));
  if (auto ct = first_value(fields, "Content-Type"))
    e.media = parse_content_type(*ct);
  else if (digest_child)
    e.media = {"message", "rfc822", {}, {}};
  else
    e.media = {"text", "plain", {{"charset", "us-ascii"}}, {}};

  if (lower_equals(e.media.type, "multipart")) {
    if (depth >= max_depth || e.media.boundary.empty() || e.media.boundary.size() > max_boundary_bytes) {
      st.cut = st.cut || depth >= max_depth;
      e.media = opaque();
      return e;
    }
    e.kind = Entity::Kind::multipart;
    if (!split(st, e, depth)) {
      e.kind = Entity::Kind::leaf;
      e.media = opaque();
      e.children.clear();
    }
  } else if (lower_equals(e.media.type, "message") && lower_equals(e.media.subtype, "rfc822")) {
    auto cte = first_value(fields, "Content-Transfer-Encoding");
    bool identity = !cte || lower_equals(*cte, "7bit") || lower_equals(*cte, "8bit") ||
                    lower_equals(*cte, "binary");
    if (depth >= max_depth || st.entities >= max_parts || !identity) {
      st.cut = st.cut || identity;
      e.media = opaque();
      return e;
    }
    ++st.entities;
    e.kind = Entity::Kind::message;
    e.children.push_back(parse_entity(st, e.body_begin, e.end, depth + 1, false));
  }
  return e;
}

}  // namespace

Tree parse_tree(std::string_view text) {
  State st{text, 1, false};
  Tree t;
  t.root = parse_entity(st, 0, text.size(), 0, false);
  t.entities = st.entities;
  t.cut = st.cut;
  return t;
}

}  // namespace tern::mime
