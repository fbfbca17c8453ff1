#include "fault_vfs.h"

#include <sqlite3.h>

#include <mutex>
#include <new>
#include <optional>
#include <string>

namespace fault_vfs {
namespace {

// Our file: the methods SQLite calls, then the default VFS's own file object, allocated in the same block
// (szOsFile covers both), so opening a file costs no extra allocation and closing it nothing to free.
struct FaultFile {
  sqlite3_file base;
  File kind;
  std::string* path;  // owned; null for SQLite's nameless temporary files
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

std::mutex mu;
sqlite3_vfs* underlying = nullptr;
sqlite3_vfs wrapper;
Counts seen;
std::optional<Fault> armed;
long matched = 0;  // calls that matched the armed fault since arm()
long failed = 0;

File kind_of(int flags) {
  if (flags & SQLITE_OPEN_MAIN_DB) return File::main_db;
  if (flags & SQLITE_OPEN_WAL) return File::wal;
  if (flags & SQLITE_OPEN_MAIN_JOURNAL) return File::journal;
  return File::other;
}

int default_error(Op op) {
  switch (op) {
    case Op::open: return SQLITE_CANTOPEN;
    case Op::read: return SQLITE_IOERR_READ;
    case Op::write: return SQLITE_IOERR_WRITE;
    case Op::sync: return SQLITE_IOERR_FSYNC;
    case Op::truncate: return SQLITE_IOERR_TRUNCATE;
  }
  return SQLITE_IOERR;
}

// Counts the call and says which error it must fail with (0: let it through).
int fault_for(Op op, File kind, const std::string* path) {
  std::lock_guard lock(mu);
  ++seen.calls[static_cast<int>(op)][static_cast<int>(kind)];
  if (!armed || armed->op != op || armed->file != kind) return 0;
  if (!armed->path_contains.empty() && (!path || path->find(armed->path_contains) == std::string::npos)) return 0;
  ++matched;
  if (matched < armed->nth || (matched > armed->nth && !armed->persistent)) return 0;
  ++failed;
  return armed->sqlite_error ? armed->sqlite_error : default_error(op);
}

FaultFile* self(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f); }
sqlite3_file* real(sqlite3_file* f) { return self(f)->real(); }

int do_close(sqlite3_file* f) {
  int rc = real(f)->pMethods ? real(f)->pMethods->xClose(real(f)) : SQLITE_OK;
  delete self(f)->path;
  self(f)->path = nullptr;
  return rc;
}
int do_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  if (int rc = fault_for(Op::read, self(f)->kind, self(f)->path)) return rc;
  return real(f)->pMethods->xRead(real(f), buf, n, off);
}
int do_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  // A failed write writes nothing, as a full disk's short write leaves SQLite with an error either way.
  if (int rc = fault_for(Op::write, self(f)->kind, self(f)->path)) return rc;
  return real(f)->pMethods->xWrite(real(f), buf, n, off);
}
int do_truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (int rc = fault_for(Op::truncate, self(f)->kind, self(f)->path)) return rc;
  return real(f)->pMethods->xTruncate(real(f), size);
}
int do_sync(sqlite3_file* f, int flags) {
  if (int rc = fault_for(Op::sync, self(f)->kind, self(f)->path)) return rc;
  return real(f)->pMethods->xSync(real(f), flags);
}
int do_file_size(sqlite3_file* f, sqlite3_int64* size) { return real(f)->pMethods->xFileSize(real(f), size); }
int do_lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int do_unlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
int do_check_reserved(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int do_file_control(sqlite3_file* f, int op, void* arg) {
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int do_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int do_device_characteristics(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
// The shared-memory index of WAL mode and memory mapping: only forwarded (the unix VFS's methods are version 3).
int do_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return real(f)->pMethods->xShmMap(real(f), page, size, extend, out);
}
int do_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void do_shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int do_shm_unmap(sqlite3_file* f, int del) { return real(f)->pMethods->xShmUnmap(real(f), del); }
int do_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  return real(f)->pMethods->xFetch(real(f), off, n, out);
}
int do_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) { return real(f)->pMethods->xUnfetch(real(f), off, p); }

const sqlite3_io_methods kMethods = {3,        do_close,       do_read,          do_write,
                                     do_truncate, do_sync,     do_file_size,     do_lock,
                                     do_unlock,   do_check_reserved, do_file_control, do_sector_size,
                                     do_device_characteristics, do_shm_map, do_shm_lock, do_shm_barrier,
                                     do_shm_unmap, do_fetch,   do_unfetch};

int do_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  FaultFile* p = self(f);
  p->base.pMethods = nullptr;  // SQLite closes a file whose open failed only when this is set
  p->kind = kind_of(flags);
  p->path = name ? new std::string(name) : nullptr;
  int rc = fault_for(Op::open, p->kind, p->path);
  if (rc == 0) rc = underlying->xOpen(underlying, name, p->real(), flags, out_flags);
  else p->real()->pMethods = nullptr;
  if (p->real()->pMethods) {
    p->base.pMethods = &kMethods;
  } else {
    delete p->path;
    p->path = nullptr;
  }
  return rc;
}

// Everything but opening files goes straight to the default VFS.
int do_delete(sqlite3_vfs*, const char* name, int sync_dir) { return underlying->xDelete(underlying, name, sync_dir); }
int do_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return underlying->xAccess(underlying, name, flags, out);
}
int do_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return underlying->xFullPathname(underlying, name, n, out);
}
void* do_dl_open(sqlite3_vfs*, const char* name) { return underlying->xDlOpen(underlying, name); }
void do_dl_error(sqlite3_vfs*, int n, char* out) { underlying->xDlError(underlying, n, out); }
void (*do_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) { return underlying->xDlSym(underlying, h, sym); }
void do_dl_close(sqlite3_vfs*, void* h) { underlying->xDlClose(underlying, h); }
int do_randomness(sqlite3_vfs*, int n, char* out) { return underlying->xRandomness(underlying, n, out); }
int do_sleep(sqlite3_vfs*, int us) { return underlying->xSleep(underlying, us); }
int do_current_time(sqlite3_vfs*, double* out) { return underlying->xCurrentTime(underlying, out); }
int do_last_error(sqlite3_vfs*, int n, char* out) { return underlying->xGetLastError(underlying, n, out); }
int do_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return underlying->xCurrentTimeInt64(underlying, out);
}

}  // namespace

std::string to_string(File f) {
  switch (f) {
    case File::main_db: return "main db";
    case File::wal: return "WAL";
    case File::journal: return "journal";
    case File::other: return "other";
  }
  return "?";
}

std::string to_string(Op op) {
  switch (op) {
    case Op::open: return "open";
    case Op::read: return "read";
    case Op::write: return "write";
    case Op::sync: return "fsync";
    case Op::truncate: return "truncate";
  }
  return "?";
}

void install() {
  std::lock_guard lock(mu);
  if (underlying) return;
  underlying = sqlite3_vfs_find(nullptr);
  wrapper = sqlite3_vfs{};
  wrapper.iVersion = 2;  // no xSetSystemCall & co: those are for SQLite's own tests of the unix VFS
  wrapper.szOsFile = static_cast<int>(sizeof(FaultFile)) + underlying->szOsFile;
  wrapper.mxPathname = underlying->mxPathname;
  wrapper.zName = "fault";
  wrapper.xOpen = do_open;
  wrapper.xDelete = do_delete;
  wrapper.xAccess = do_access;
  wrapper.xFullPathname = do_full_pathname;
  wrapper.xDlOpen = do_dl_open;
  wrapper.xDlError = do_dl_error;
  wrapper.xDlSym = do_dl_sym;
  wrapper.xDlClose = do_dl_close;
  wrapper.xRandomness = do_randomness;
  wrapper.xSleep = do_sleep;
  wrapper.xCurrentTime = do_current_time;
  wrapper.xGetLastError = do_last_error;
  wrapper.xCurrentTimeInt64 = do_current_time_int64;
  sqlite3_vfs_register(&wrapper, /*makeDflt=*/1);
}

void arm(const Fault& fault) {
  std::lock_guard lock(mu);
  armed = fault;
  matched = 0;
}

void disarm() {
  std::lock_guard lock(mu);
  armed.reset();
}

long injected() {
  std::lock_guard lock(mu);
  return failed;
}

Counts counts() {
  std::lock_guard lock(mu);
  return seen;
}

void reset_counts() {
  std::lock_guard lock(mu);
  seen = {};
}

Fault fail_nth_write(long nth, File file) { return {Op::write, file, nth, SQLITE_IOERR_WRITE, false, ""}; }
Fault disk_full_after(long writes, File file) { return {Op::write, file, writes + 1, SQLITE_FULL, true, ""}; }
Fault fail_nth_sync(long nth, File file) { return {Op::sync, file, nth, SQLITE_IOERR_FSYNC, false, ""}; }
Fault fail_nth_open(long nth, File file) { return {Op::open, file, nth, SQLITE_CANTOPEN, false, ""}; }
Fault fail_nth_read(long nth, File file) { return {Op::read, file, nth, SQLITE_IOERR_READ, false, ""}; }

}  // namespace fault_vfs
