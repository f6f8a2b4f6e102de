// For bench/smtp_throughput.sh only: makes fsync(), fdatasync() and
// syncfs() return success without doing anything (LD_PRELOAD), so that the
// benchmark can show what durability costs on the machine at hand. A
// server run with this loses acknowledged mail on a crash; never use it
// anywhere else.
int fsync(int fd) { (void)fd; return 0; }
int fdatasync(int fd) { (void)fd; return 0; }
int syncfs(int fd) { (void)fd; return 0; }
