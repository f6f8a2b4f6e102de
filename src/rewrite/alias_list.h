// Splitting the right-hand side of an alias or virtual alias entry into its
// items: commas separate items, except inside double quotes
// ("|/usr/bin/cmd a,b", "/path with, comma"); quotes are removed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tern::rewrite {

std::vector<std::string> split_alias_list(std::string_view value);

}  // namespace tern::rewrite
