#include "frontend/installer.hpp"

#include <Poco/Zip/ZipArchive.h>
#include <Poco/Zip/ZipStream.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace webui::frontend {
namespace fs = std::filesystem;
namespace {

constexpr const char* kRecordFile = ".webui-host-frontend.json";
constexpr std::string_view kWheelPrefix = "open_webui/frontend/";

[[noreturn]] void Fail(const std::string& why) { throw std::runtime_error(why); }

// A relative path that stays inside its root ("a/b.js"), or nullopt ("../x", "/etc", "a/../../b").
std::optional<fs::path> SafeRelative(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find('\\') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos)
    return std::nullopt;
  fs::path p = fs::path(std::string(name)).lexically_normal();
  if (p.empty() || p.is_absolute()) return std::nullopt;
  for (const auto& part : p)
    if (part == "..") return std::nullopt;
  return p;
}

// "Version: 0.6.32" from a wheel's METADATA.
std::string VersionFromMetadata(std::istream& in) {
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Version:", 0) == 0) {
      std::string v = line.substr(8);
      v.erase(0, v.find_first_not_of(" \t"));
      v.erase(v.find_last_not_of(" \t\r") + 1);
      return v;
    }
    if (line.empty() || line == "\r") break;  // end of the header block
  }
  return "";
}

// Copies `in` to `out` counting against the budget.
void CopyBounded(std::istream& in, std::ostream& out, std::uint64_t& budget, const fs::path& what) {
  char buf[65536];
  while (in) {
    in.read(buf, sizeof buf);
    const auto n = static_cast<std::uint64_t>(in.gcount());
    if (n == 0) break;
    if (n > budget) Fail("the frontend expands beyond the size limit (at " + what.string() + ")");
    budget -= n;
    out.write(buf, static_cast<std::streamsize>(n));
    if (!out) Fail("cannot write " + what.string());
  }
}

std::string ExtractWheel(const fs::path& wheel, const fs::path& into, const InstallLimits& limits) {
  std::ifstream in(wheel, std::ios::binary);
  if (!in) Fail("cannot open " + wheel.string());
  std::optional<Poco::Zip::ZipArchive> archive;
  try {
    archive.emplace(in);
  } catch (const std::exception& e) {
    Fail(wheel.string() + " is not a zip archive (a wheel): " + e.what());
  }
  std::string version;
  std::size_t entries = 0;
  std::uint64_t budget = limits.max_bytes;
  static const std::regex kMetadata(R"(open_webui-[^/]+\.dist-info/METADATA)");
  for (auto it = archive->headerBegin(); it != archive->headerEnd(); ++it) {
    const std::string& name = it->first;
    if (++entries > limits.max_entries) Fail("the archive has too many entries");
    if (std::regex_match(name, kMetadata)) {
      in.clear();
      Poco::Zip::ZipInputStream zin(in, it->second);
      std::ostringstream text;
      std::uint64_t meta_budget = 1 << 20;
      CopyBounded(zin, text, meta_budget, name);
      std::istringstream lines(text.str());
      version = VersionFromMetadata(lines);
      continue;
    }
    if (name.rfind(kWheelPrefix, 0) != 0 || it->second.isDirectory()) continue;
    const auto rel = SafeRelative(std::string_view(name).substr(kWheelPrefix.size()));
    if (!rel) Fail("the archive has an unsafe path: " + name);
    if (it->second.getUncompressedSize() > budget)
      Fail("the frontend expands beyond the size limit (at " + name + ")");
    const fs::path dest = into / *rel;
    fs::create_directories(dest.parent_path());
    std::ofstream out(dest, std::ios::binary | std::ios::trunc);
    if (!out) Fail("cannot write " + dest.string());
    in.clear();
    Poco::Zip::ZipInputStream zin(in, it->second);
    CopyBounded(zin, out, budget, *rel);
  }
  return version;
}

// Regular files and directories only: a link in the source could point anywhere.
void CopyTree(const fs::path& from, const fs::path& into, const InstallLimits& limits) {
  std::uint64_t budget = limits.max_bytes;
  std::size_t entries = 0;
  for (auto it = fs::recursive_directory_iterator(from); it != fs::recursive_directory_iterator();
       ++it) {
    if (++entries > limits.max_entries) Fail("the directory has too many entries");
    const fs::path rel = fs::relative(it->path(), from);
    if (it->is_symlink()) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory()) {
      fs::create_directories(into / rel);
    } else if (it->is_regular_file()) {
      std::ifstream in(it->path(), std::ios::binary);
      fs::create_directories((into / rel).parent_path());
      std::ofstream out(into / rel, std::ios::binary | std::ios::trunc);
      if (!in || !out) Fail("cannot copy " + it->path().string());
      CopyBounded(in, out, budget, rel);
    }
  }
}

// The version of an installed open_webui package, from the dist-info beside it.
std::string VersionOfPackage(const fs::path& package_dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(package_dir.parent_path(), ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("open_webui-", 0) == 0 && n.size() > 10 &&
        n.substr(n.size() - 10) == ".dist-info") {
      std::ifstream meta(e.path() / "METADATA");
      if (meta) return VersionFromMetadata(meta);
    }
  }
  return "";
}

std::string NowUtc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

fs::path InstalledFrontendDir(const std::string& data_dir) {
  return fs::path(data_dir) / "frontend";
}

std::optional<InstalledFrontend> ReadInstalled(const fs::path& dir) {
  std::ifstream in(dir / kRecordFile);
  if (!in) return std::nullopt;
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return InstalledFrontend{j.value("version", ""), j.value("source", ""),
                           j.value("installed_at", "")};
}

InstalledFrontend Install(const fs::path& source, const fs::path& target,
                          const InstallLimits& limits) {
  std::error_code ec;
  if (!fs::exists(source, ec)) Fail(source.string() + " does not exist");
  const fs::path staging = target.parent_path() / (target.filename().string() + ".new");
  const fs::path old = target.parent_path() / (target.filename().string() + ".old");
  fs::remove_all(staging, ec);
  fs::create_directories(staging);
  InstalledFrontend rec{"", fs::absolute(source).string(), NowUtc()};
  try {
    if (fs::is_regular_file(source)) {
      rec.version = ExtractWheel(source, staging, limits);
    } else if (fs::is_regular_file(source / "frontend" / "index.html")) {
      CopyTree(source / "frontend", staging, limits);  // an installed open_webui package
      rec.version = VersionOfPackage(source);
    } else if (fs::is_regular_file(source / "index.html")) {
      CopyTree(source, staging, limits);  // a built frontend
    } else {
      Fail(source.string() +
           " is neither an open_webui wheel, an open_webui package directory, nor a built "
           "frontend (no index.html)");
    }
    if (!fs::is_regular_file(staging / "index.html") || !fs::is_directory(staging / "_app"))
      Fail(source.string() + " holds no built frontend (index.html and _app/ are needed)");
    std::ofstream(staging / kRecordFile) << nlohmann::json{{"version", rec.version},
                                                           {"source", rec.source},
                                                           {"installed_at", rec.installed_at}}
                                                .dump(2)
                                         << "\n";
    // Swap: the served tree is whole at every moment but the two renames.
    fs::remove_all(old, ec);
    if (fs::exists(target)) fs::rename(target, old);
    fs::rename(staging, target);
    fs::remove_all(old, ec);
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
  return rec;
}

int FrontendCommand(int argc, char** argv, const std::string& data_dir,
                    const std::string& build_dir_setting) {
  const std::string usage =
      "usage: webui-host frontend install <open_webui wheel | open_webui package dir | built "
      "frontend dir>\n       webui-host frontend status\n";
  const std::string verb = argc >= 2 ? argv[1] : "";
  const fs::path target = InstalledFrontendDir(data_dir);
  if (verb == "install" && argc == 3) {
    try {
      fs::create_directories(data_dir);
      const auto rec = Install(argv[2], target);
      std::cout << "installed the Open WebUI frontend"
                << (rec.version.empty() ? "" : " " + rec.version) << " in " << target.string()
                << "\n";
      if (!build_dir_setting.empty())
        std::cout << "note: FRONTEND_BUILD_DIR=" << build_dir_setting
                  << " is set and is served instead; unset it to serve this one\n";
      std::cout << "restart webui-host to serve it\n";
      return 0;
    } catch (const std::exception& e) {
      std::cerr << "webui-host frontend install: " << e.what() << "\n";
      return 1;
    }
  }
  if (verb == "status" && argc == 2) {
    if (!build_dir_setting.empty()) {
      std::cout << "serving FRONTEND_BUILD_DIR=" << build_dir_setting << "\n";
      return 0;
    }
    if (const auto rec = ReadInstalled(target)) {
      std::cout << "serving " << target.string() << ": Open WebUI frontend "
                << (rec->version.empty() ? "(version unknown)" : rec->version) << ", installed "
                << rec->installed_at << " from " << rec->source << "\n";
      return 0;
    }
    std::cout << "no frontend installed; run: webui-host frontend install <open_webui wheel>\n";
    return 3;
  }
  std::cerr << usage;
  return 2;
}

}  // namespace webui::frontend
