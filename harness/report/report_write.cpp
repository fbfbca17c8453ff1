// Writing the four report files of a run dir, each atomically, and the format names the CLI accepts.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "harness/report/report.h"

namespace fs = std::filesystem;

namespace harness {
namespace {

constexpr ReportFormat kAllFormats[] = {ReportFormat::md, ReportFormat::html, ReportFormat::json,
                                        ReportFormat::junit};

}  // namespace

std::string strip_trailing_slashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

std::optional<ReportFormat> report_format_from(std::string_view name) {
  if (name == "md") return ReportFormat::md;
  if (name == "html") return ReportFormat::html;
  if (name == "json") return ReportFormat::json;
  if (name == "junit") return ReportFormat::junit;
  return std::nullopt;
}

std::string_view report_file_name(ReportFormat format) {
  switch (format) {
    case ReportFormat::md: return "report.md";
    case ReportFormat::html: return "report.html";
    case ReportFormat::json: return "summary.json";
    case ReportFormat::junit: return "junit.xml";
  }
  return "";
}

std::string render_report(const ReportData& d, ReportFormat format) {
  switch (format) {
    case ReportFormat::md: return render_markdown(d);
    case ReportFormat::html: return render_html(d);
    case ReportFormat::json: return render_summary_json(d);
    case ReportFormat::junit: return render_junit(d);
  }
  return "";
}

void write_file_atomically(const std::string& path, const std::string& text) {
  std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  auto fail = [&](const std::string& subject, const char* what) {
    std::string message = fmt::format("{}: cannot {}: {}", subject, what, std::strerror(errno));
    ::unlink(tmp.c_str());
    throw ReportError(message);
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(tmp, "create");
  for (size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      fail(tmp, "write");
    }
    done += static_cast<size_t>(n);
  }
  // Durable before the rename makes it visible: a crash leaves the old report or the new one, never a torn file.
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail(tmp, "sync");
  }
  if (::close(fd) != 0) fail(tmp, "close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail(path, "replace");
}

ReportWriteResult write_reports(const ReportData& data) {
  ReportWriteResult result;
  try {
    for (ReportFormat f : kAllFormats) {
      std::string path = fmt::format("{}/{}", data.run_dir, report_file_name(f));
      write_file_atomically(path, render_report(data, f));
      result.written.push_back(path);
    }
  } catch (const ReportError& e) {
    result.error = e.what();
  }
  return result;
}

ReportWriteResult write_reports(const std::string& run_dir_arg, trace::Store& store) {
  std::string run_dir = strip_trailing_slashes(run_dir_arg);
  try {
    return write_reports(load_report_data(run_dir, store));
  } catch (const ReportError& e) {
    return {{}, e.what()};
  } catch (const trace::StoreError& e) {
    return {{}, fmt::format("{}: store error: {}", run_dir, e.what())};
  }
}

ReportWriteResult write_reports(const std::string& run_dir_arg) {
  std::string run_dir = strip_trailing_slashes(run_dir_arg);
  if (!fs::exists(fs::path(run_dir) / "run.db"))
    return {{}, fmt::format("{}: no run here (missing run.db)", run_dir)};
  try {
    auto store = trace::Store::open(run_dir + "/run.db", trace::Store::Mode::read_only);
    return write_reports(run_dir, *store);
  } catch (const trace::StoreError& e) {
    return {{}, fmt::format("{}: store error: {}", run_dir, e.what())};
  }
}

}  // namespace harness
