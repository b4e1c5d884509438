// A child process for end-to-end tests: spawned without a shell, its
// stdout and stderr captured line by line, waited for with deadlines.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace nu::e2e {

/// Which output stream of a child a line came from.
enum class Stream { out, err };

/// How a child ended: exited with `code`, or killed by `signal`.
struct ExitStatus {
  int code = -1;
  int signal = 0;
  /// True if the child called exit (or returned from main).
  bool exited() const { return signal == 0; }
  /// True if the child exited with `c`.
  bool exited_with(int c) const { return exited() && code == c; }
  /// "exit 3" or "signal 9 (Killed)", for messages.
  std::string describe() const;
};

/// A line that matched wait_for_line: the whole line, the regex's groups
/// (groups[0] is the matched part) and the line's index in its stream.
struct LineMatch {
  std::string line;
  std::vector<std::string> groups;
  std::size_t index = 0;
  /// The n-th group (0: the whole match).
  const std::string &operator[](std::size_t n) const { return groups.at(n); }
};

/// A spawned child with stdin, stdout and stderr connected to pipes. Two
/// reader threads split stdout and stderr into lines, keep them, and echo
/// them to the test's stderr as "[label] ..." and "[label:err] ...". The
/// destructor SIGKILLs and reaps a child still running; a child is also
/// SIGKILLed if the thread that started it ends (PR_SET_PDEATHSIG), so a
/// test killed by its timeout leaves no processes behind. SIGPIPE is
/// ignored in the test process (a write to a dead child's stdin fails
/// instead) and reset to its default in children.
class Process {
public:
  using Clock = std::chrono::steady_clock;

  /// Spawns `path` with `args` (argv[0] is `path`); `label` prefixes the
  /// echoed lines. Throws std::system_error if it cannot be spawned.
  Process(std::string path, std::vector<std::string> args, std::string label);
  ~Process();
  Process(const Process &) = delete;
  Process &operator=(const Process &) = delete;

  /// The child's process id.
  pid_t pid() const { return pid_; }
  /// The label its echoed lines carry.
  const std::string &label() const { return label_; }

  /// Waits until a line of `stream` at index `from` or later matches
  /// `pattern` (std::regex_search); nullopt if none did within `timeout`
  /// or the stream ended without one.
  std::optional<LineMatch> wait_for_line(Stream stream,
                                         const std::regex &pattern,
                                         std::chrono::milliseconds timeout,
                                         std::size_t from = 0);
  /// The lines of `stream` captured so far.
  std::vector<std::string> lines(Stream stream) const;
  /// The lines of `stream` captured so far, each followed by '\n'.
  std::string text(Stream stream) const;

  /// Writes `data` to the child's stdin; false if it is closed or gone.
  bool write_stdin(const std::string &data);
  /// Closes the child's stdin (it reads end of file).
  void close_stdin();

  /// Sends `signal` unless the child has already been reaped.
  void kill(int signal);
  /// Waits up to `timeout` for the child to end and reaps it; then waits
  /// (within the same deadline) for its output to be read to the end.
  std::optional<ExitStatus> wait(std::chrono::milliseconds timeout);
  /// True until the child has ended.
  bool running();
  /// How it ended, once wait() or running() has seen it end.
  std::optional<ExitStatus> status() const { return status_; }

private:
  struct Capture;

  void spawn(const std::string &path, const std::vector<std::string> &args);
  bool try_reap();
  void start_readers();
  void stop_readers();
  Capture &capture(Stream stream) const;

  std::string label_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stop_fd_ = -1; // an eventfd that ends the reader threads
  std::optional<ExitStatus> status_;
  std::unique_ptr<Capture> out_, err_;
  std::thread out_reader_, err_reader_;
};

} // namespace nu::e2e
