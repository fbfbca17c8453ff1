// A fault-injecting SQLite VFS for tests (LevelDB's EnvWrapper, through SQLite's own VFS API): it forwards every
// call to the default VFS and, when armed, makes the Nth open, read, write, fsync or truncate of one kind of file
// fail with the SQLite code a real failing disk gives (SQLITE_IOERR_WRITE, SQLITE_FULL, SQLITE_IOERR_FSYNC,
// SQLITE_CANTOPEN, SQLITE_IOERR_READ). install() makes it the default VFS, so every store the code under test opens goes through
// it, without a seam in the product. Thread-safe (one mutex): the run's server threads may write the store too.
#pragma once

#include <array>
#include <string>

namespace fault_vfs {

// Which file a call is on, from the flags SQLite opens it with.
enum class File { main_db, wal, journal, other };  // journal: the rollback journal (not used in WAL mode)
enum class Op { open, read, write, sync, truncate };
constexpr int kFiles = 4, kOps = 5;

std::string to_string(File f);
std::string to_string(Op op);

// Calls seen per operation and file kind since the last reset().
struct Counts {
  std::array<std::array<long, kFiles>, kOps> calls{};
  long of(Op op, File f) const { return calls[static_cast<int>(op)][static_cast<int>(f)]; }
};

// One fault: the `nth` call (1-based, counted from arm()) of `op` on `file` fails with `sqlite_error`; with
// `persistent`, that call and every later one fail (a full disk stays full). Only files whose path contains
// `path_contains` count (empty: all), so a test's own reads of another store are left alone.
struct Fault {
  Op op = Op::write;
  File file = File::wal;
  long nth = 1;
  int sqlite_error = 0;  // 0: the usual code for `op` (CANTOPEN, IOERR_READ, IOERR_WRITE, IOERR_FSYNC, ...)
  bool persistent = false;
  std::string path_contains;
};

// Registers the wrapper as the default VFS (once per process; later calls do nothing).
void install();
// Arms one fault (replacing any other) and restarts the count it is measured in.
void arm(const Fault& fault);
// Back to plain forwarding; the counts go on.
void disarm();
// How many calls the armed faults made fail since install().
long injected();
Counts counts();
void reset_counts();

// Ready-made faults.
Fault fail_nth_write(long nth, File file = File::wal);
Fault disk_full_after(long writes, File file = File::wal);  // the first `writes` succeed, then SQLITE_FULL
Fault fail_nth_sync(long nth, File file = File::wal);
Fault fail_nth_open(long nth, File file = File::main_db);
Fault fail_nth_read(long nth, File file = File::main_db);

}  // namespace fault_vfs
