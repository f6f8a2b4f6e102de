// Splitting the right-hand side of an alias or virtual alias entry, an
// :include: file or a .forward file into its items, as Postfix's address
// parser does: commas and blanks separate items (so "root daemon", or an
// entry continued on a second line, is two), except inside double quotes
// ("|/usr/bin/cmd a,b", "/path with space"), which are removed; inside them
// a backslash keeps the next character as it is ("|cmd \"a,b\"" is the
// command cmd "a,b"; outside quotes a backslash stays, for \user). A
// "(comment)" is dropped and "Name <addr>" is addr; ":include: /path" with a
// blank is one item. A quote, parenthesis or '<' left open is an error, not
// a quote to the end: it would silently join the items after it into one
// command or file name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace tern::rewrite {

Result<std::vector<std::string>> split_alias_list(std::string_view value);

}  // namespace tern::rewrite
