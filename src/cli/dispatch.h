// dispatch: picks the personality from argv[0] (tern, sendmail, mailq,
// newaliases, runq) and, for `tern`, the subcommand.
#pragma once

namespace tern::cli {

int dispatch(int argc, char** argv);

}  // namespace tern::cli
