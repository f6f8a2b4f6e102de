// Splitting the right-hand side of an alias or virtual alias entry into its
// items: commas separate items, except inside double quotes
// ("|/usr/bin/cmd a,b", "/path with, comma"); quotes are removed. A quote
// left open is an error, not a quote to the end: it would silently join the
// items after it into one command or file name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace tern::rewrite {

Result<std::vector<std::string>> split_alias_list(std::string_view value);

}  // namespace tern::rewrite
