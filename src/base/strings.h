// Small string helpers shared by every module: ASCII case folding, trimming,
// and splitting of Postfix-style lists ("a, b c").
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tern::str {

std::string lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
std::string_view trim(std::string_view s);
// Splits on commas and ASCII white space, dropping empty items; text in
// { } stays one item, as Postfix parses lists ("inline:{ a=b, c=d }").
std::vector<std::string> split_list(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
// Replaces control characters and non-ASCII bytes with '?', for log lines and
// headers built from client input (RELIABILITY.md #19).
std::string printable(std::string_view s, size_t max_len = 512);
// For log lines: every C0 control byte (CR, LF, TAB, NUL...), DEL, every
// byte of an invalid or overlong UTF-8 sequence, and C1 controls and
// U+2028/U+2029 (line breaks to some readers) become "\xNN" per byte, and
// a backslash becomes "\\", so the result is one line and maps back to the
// input unambiguously. Valid UTF-8 text (SMTPUTF8 addresses) stays readable.
std::string escape_log(std::string_view s);
// For header fields built outside the SMTP session (Return-Path:): C0
// control bytes and DEL become "\xNN"; everything else is kept.
std::string escape_controls(std::string_view s);

}  // namespace tern::str
