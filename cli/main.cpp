// cli/main.cpp: the medmask command-line tool; subcommands live in cmd_*.cpp.
//
// Exit codes: 0 success, 1 failure (one line `medmask: error: ...` on stderr), 2 usage error.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "file_kind.hpp"
#include "flag_hints.hpp"
#include "medmask/error.hpp"
#include "medmask/version.hpp"

namespace {

// The error must stay on one line, whatever the message holds.
std::string one_line(std::string message) {
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return message;
}

int report(const std::string& message) {
  std::cout.flush();
  std::cerr << "medmask: error: " << one_line(message) << '\n';
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"MedMask: many segmentation masks of one case in one .mska file", "medmask"};
  app.set_version_flag("--version", std::string("medmask ") + MEDMASK_VERSION_STRING);
  app.require_subcommand(1);
  medmask::cli::register_read_limits(app);  // before the subcommands, which inherit fallthrough
  // Threads for coding and decoding; passed on through MEDMASK_THREADS, which every archive of
  // this process reads (medmask/threads.hpp). Accepted before or after the subcommand.
  app.add_option_function<unsigned>(
         "--threads",
         [](unsigned threads) { ::setenv("MEDMASK_THREADS", std::to_string(threads).c_str(), 1); },
         "threads for coding and decoding (default: MEDMASK_THREADS, else every core "
         "this process may use)")
      ->check(CLI::Range(1u, 4096u));
  medmask::cli::register_pack(app);
  medmask::cli::register_info(app);
  medmask::cli::register_extract(app);
  medmask::cli::register_verify(app);
  medmask::cli::register_export(app);
  medmask::cli::register_convert(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here too, with exit code 0.
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const medmask::cli::ReportedFailure&) {
    return 1;
  } catch (const medmask::Error& e) {
    // A file of another format given where an archive is expected: say what it is.
    if (e.code() == medmask::ErrorCode::kFormat && e.offset() == 0 && !e.path().empty()) {
      if (const std::string kind = medmask::cli::describe_foreign_file(e.path()); !kind.empty()) {
        return report(e.path() + ": not a MedMask archive but " + kind);
      }
    }
    return report(medmask::cli::with_flag_hint(e));
  } catch (const std::filesystem::filesystem_error& e) {
    // libstdc++ says "filesystem error: cannot get file size: <reason> [<path>]": the file
    // first, as in every error.
    std::string what = e.what();
    const std::string prefix = "filesystem error: ";
    if (what.rfind(prefix, 0) == 0) what.erase(0, prefix.size());
    if (const auto bracket = what.find(" ["); bracket != std::string::npos) what.erase(bracket);
    return report(e.path1().string() + ": " + what);
  } catch (const std::exception& e) {
    return report(e.what());
  }
  return 0;
}
