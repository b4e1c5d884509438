// Restart-and-rebuild, timed: posix_spawn of /proc/self/exe in its child
// mode, its stdout on a pipe, the clock stopped at its "ready" line.
#include "Restart.hpp"

#include "State.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace migbench {
namespace {

constexpr std::string_view kFlag = "--restart-child";

/// Reads the child's pipe to its first newline; false if it closed first.
bool read_line(int fd) {
  char c = 0;
  for (;;) {
    ssize_t got = ::read(fd, &c, 1);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return false;
    if (c == '\n')
      return true;
  }
}

pid_t spawn_child(std::size_t bytes, int out) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
  std::string size = std::to_string(bytes), flag(kFlag);
  char *argv[] = {const_cast<char *>("bench_migration"), flag.data(),
                  size.data(), nullptr};
  pid_t pid = 0;
  int error =
      posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error)
    throw std::system_error(error, std::generic_category(), "posix_spawn");
  return pid;
}

double restart_once(std::size_t bytes) {
  int pipe[2];
  if (::pipe2(pipe, O_CLOEXEC))
    throw std::system_error(errno, std::generic_category(), "pipe2");
  auto start = std::chrono::steady_clock::now();
  pid_t pid = spawn_child(bytes, pipe[1]);
  ::close(pipe[1]);
  bool ready = read_line(pipe[0]);
  auto stop = std::chrono::steady_clock::now();
  ::close(pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!ready || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("the restarted process failed");
  return std::chrono::duration<double>(stop - start).count();
}

} // namespace

bool is_restart_child(int argc, char **argv) {
  return argc == 3 && argv[1] == kFlag;
}

int restart_child_main(int, char **argv) {
  std::size_t bytes = std::strtoull(argv[2], nullptr, 10);
  std::vector<std::uint8_t> state = make_state(bytes);
  // One byte of the state in the line keeps the fill from being dropped.
  std::printf("ready %u\n", bytes ? state[bytes / 2] : 0u);
  std::fflush(stdout);
  return 0;
}

Seconds restart_seconds(std::size_t bytes, int reps) {
  Seconds out;
  for (int i = 0; i < reps; ++i)
    out.push_back(restart_once(bytes));
  return out;
}

} // namespace migbench
