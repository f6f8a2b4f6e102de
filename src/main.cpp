// tern's entry point: hands argv to the command dispatcher, which picks the
// personality (tern, sendmail, mailq, newaliases, runq) from argv[0].
#include "cli/dispatch.h"

int main(int argc, char** argv) { return tern::cli::dispatch(argc, argv); }
