// The argument tree of one IMAP command (RFC 3501 section 9, RFC 9051
// section 9): atoms, numbers, quoted strings, literals, NIL and
// parenthesised lists, as CommandReader builds them. The typed parsers
// (sequence sets, search keys, fetch attributes, STORE) read this tree.
//
// An atom keeps its raw text, including a bracketed section such as
// BODY[HEADER.FIELDS (From To)]<0.100>, which the fetch parser takes apart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::imap {

struct Value {
  enum class Kind { atom, number, quoted, literal, nil, list };
  Kind kind = Kind::atom;
  // atom and number: the raw text; quoted: unescaped; literal: the bytes
  // (empty when streamed); nil: "NIL" as sent.
  std::string text;
  uint64_t number = 0;       // kind == number (an atom of digits fitting 64 bits)
  uint64_t literal_size = 0;  // kind == literal
  bool binary = false;        // a literal8 (~{n}, RFC 3516)
  bool streamed = false;      // literal handed to the caller in chunks, not kept here
  std::vector<Value> items;   // kind == list

  bool is_string() const { return kind == Kind::quoted || kind == Kind::literal; }
  // astring = atom / string (a number, "NIL" and ASTRING-CHARs like ']' are atoms too).
  std::optional<std::string_view> astring() const;
  // nstring = string / NIL
  bool is_nil() const { return kind == Kind::nil; }
  // The atom's text upper-cased, or "" when this is no atom (keywords like FLAGS).
  std::string keyword() const;
};

struct Command {
  std::string tag;
  std::string name;  // upper-cased command name ("UID" stays alone: args[0] is the rest)
  std::vector<Value> args;
};

}  // namespace tern::imap
