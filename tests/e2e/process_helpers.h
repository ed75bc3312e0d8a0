// Running the real programs from end-to-end tests: commands with captured output, background
// jobs that can be signalled, and the paths of what the build produced.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/run_directory.h"
#include "support/test_files.h"

namespace gan::e2e {

struct Result {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

inline Result run(const std::string& command) {
  Result result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> chunk;
  while (fgets(chunk.data(), chunk.size(), pipe) != nullptr) result.output += chunk.data();
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

// Open MPI refuses root unless told it is fine; decided here, when the test runs.
inline std::string mpirun(int ranks) {
  const std::string as_root = geteuid() == 0 ? " --allow-run-as-root" : "";
  return std::string(GAN_MPIEXEC) + " -np " + std::to_string(ranks) + " " + GAN_MPIEXEC_FLAGS + as_root + " ";
}

inline std::string ganDist() { return GAN_DIST_BINARY; }

// How many lines of `text` contain `marker` (one error line, not one per rank).
inline int countLines(const std::string& text, const std::string& marker) {
  int count = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) count += line.find(marker) != std::string::npos;
  return count;
}

// A fresh output directory for one test's run.
inline std::string outputDir(const std::string& name) { return test_support::freshTempDir("e2e_" + name); }

// A fresh directory for a run that several tests of a file share (made once per process, by the
// first of them to ask). CTest runs each test case as its own process, several at once: the
// directory is named after the test that makes it, so two processes never empty each other's.
inline std::string sharedRunDir(const std::string& name) {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  return outputDir(name + (test ? std::string(".") + test->test_suite_name() + "." + test->name() : ""));
}

using test_support::readText;

inline std::vector<nlohmann::json> metricLines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(RunDirectory(out).metrics());
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// A command running in the background (its own process group) with output to a file.
class BackgroundJob {
 public:
  BackgroundJob(const std::string& command, const std::string& log_path) : log_path_(log_path) {
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      execl("/bin/sh", "sh", "-c", (command + " > " + log_path + " 2>&1").c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~BackgroundJob() {
    if (pid_ > 0 && exit_code_ < 0) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // Waits up to `seconds`; returns the exit code, or -1 if still running.
  int waitFor(double seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (exit_code_ < 0 && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return exit_code_;
  }
  std::string log() const { return readText(log_path_); }
  // Ends it now (the whole process group).
  void stop() {
    if (pid_ <= 0 || exit_code_ >= 0) return;
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    exit_code_ = 128 + SIGKILL;
  }

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string log_path_;
};

// Pids of running gan_dist ranks whose command line mentions `marker` (e.g. the output dir).
inline std::vector<int> rankPids(const std::string& marker) {
  const auto listed = run("pgrep -f '^" + ganDist() + " .*" + marker + "'");
  std::vector<int> pids;
  std::istringstream in(listed.output);
  for (int pid; in >> pid;) pids.push_back(pid);
  return pids;
}

// Polls until `condition` holds or `seconds` pass.
template <typename Condition>
bool eventually(double seconds, Condition condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return condition();
}

}  // namespace gan::e2e
