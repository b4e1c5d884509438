// Process: fork and exec with three pipes, one reader thread per output
// stream that splits it into lines, and waitpid polled against deadlines.
#include "Process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>

extern char **environ;

namespace nu::e2e {

namespace {

[[noreturn]] void throw_errno(int error, const std::string &what) {
  throw std::system_error(error, std::generic_category(), what);
}

void close_fd(int &fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

struct Pipe {
  int read = -1, write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      throw_errno(errno, "pipe2");
    read = fds[0];
    write = fds[1];
  }
  ~Pipe() {
    close_fd(read);
    close_fd(write);
  }
};

void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

void echo(const std::string &prefix, const std::string &line) {
  std::string out = prefix + line + "\n";
  for (std::size_t done = 0; done < out.size();) {
    ssize_t n = ::write(STDERR_FILENO, out.data() + done, out.size() - done);
    if (n <= 0 && errno != EINTR)
      return;
    done += n > 0 ? static_cast<std::size_t>(n) : 0;
  }
}

ExitStatus decode(int raw) {
  if (WIFSIGNALED(raw))
    return ExitStatus{-1, WTERMSIG(raw)};
  return ExitStatus{WEXITSTATUS(raw), 0};
}

// What the forked child needs, prepared before fork: after it, only
// async-signal-safe calls are allowed.
struct ChildSetup {
  pid_t parent;
  int in, out, err, exec_error;
  const char *path;
  char **argv;
};

// In the child: dies with the test (PR_SET_PDEATHSIG), connects the pipes,
// resets SIGPIPE and the signal mask, execs; reports a failure's errno.
[[noreturn]] void exec_child(const ChildSetup &s) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != s.parent)
    ::_exit(127);
  ::dup2(s.in, STDIN_FILENO);
  ::dup2(s.out, STDOUT_FILENO);
  ::dup2(s.err, STDERR_FILENO);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(s.path, s.argv, environ);
  int error = errno;
  [[maybe_unused]] ssize_t n = ::write(s.exec_error, &error, sizeof error);
  ::_exit(127);
}

// The errno the child reported, or 0 once exec closed the pipe.
int read_exec_error(int fd) {
  int error = 0;
  ssize_t n;
  while ((n = ::read(fd, &error, sizeof error)) < 0 && errno == EINTR) {
  }
  return n == sizeof error ? error : 0;
}

} // namespace

std::string ExitStatus::describe() const {
  if (exited())
    return "exit " + std::to_string(code);
  return "signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

// One captured output stream: the pipe's read end and its lines so far.
struct Process::Capture {
  int fd = -1;
  std::string prefix;
  mutable std::mutex mu;
  std::condition_variable changed;
  std::vector<std::string> lines;
  std::string partial;
  bool eof = false;

  ~Capture() { close_fd(fd); }

  void append(const char *data, std::size_t size) {
    std::vector<std::string> complete;
    {
      std::scoped_lock lock(mu);
      partial.append(data, size);
      std::size_t start = 0;
      for (std::size_t nl; (nl = partial.find('\n', start)) != partial.npos;
           start = nl + 1)
        complete.push_back(partial.substr(start, nl - start));
      partial.erase(0, start);
      lines.insert(lines.end(), complete.begin(), complete.end());
    }
    changed.notify_all();
    for (const std::string &line : complete)
      echo(prefix, line);
  }

  void finish() {
    std::string last;
    {
      std::scoped_lock lock(mu);
      if (!partial.empty())
        lines.push_back(last = std::move(partial));
      partial.clear();
      eof = true;
    }
    changed.notify_all();
    if (!last.empty())
      echo(prefix, last);
  }

  // Reads until end of file or until `stop_fd` becomes readable.
  void read_loop(int stop_fd) {
    char buf[4096];
    for (;;) {
      pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 && errno != EINTR)
        break;
      if (fds[1].revents != 0)
        break;
      if (fds[0].revents == 0)
        continue;
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      append(buf, static_cast<std::size_t>(n));
    }
    finish();
  }

  bool wait_eof(Clock::time_point deadline) {
    std::unique_lock lock(mu);
    return changed.wait_until(lock, deadline, [&] { return eof; });
  }
};

Process::Process(std::string path, std::vector<std::string> args,
                 std::string label)
    : label_(std::move(label)), out_(std::make_unique<Capture>()),
      err_(std::make_unique<Capture>()) {
  ignore_sigpipe_once();
  out_->prefix = "[" + label_ + "] ";
  err_->prefix = "[" + label_ + ":err] ";
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (stop_fd_ < 0)
    throw_errno(errno, "eventfd");
  try {
    spawn(path, args);
  } catch (...) {
    close_fd(stop_fd_);
    throw;
  }
  start_readers();
}

Process::~Process() {
  if (!status_) {
    ::kill(pid_, SIGKILL);
    int raw = 0;
    while (::waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
    }
    status_ = decode(raw);
  }
  close_fd(stdin_fd_);
  auto grace = Clock::now() + std::chrono::seconds(1);
  out_->wait_eof(grace);
  err_->wait_eof(grace);
  stop_readers();
  close_fd(stop_fd_);
}

void Process::spawn(const std::string &path,
                    const std::vector<std::string> &args) {
  Pipe in, out, err, exec_error;
  std::vector<char *> argv{const_cast<char *>(path.c_str())};
  for (const std::string &a : args)
    argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  ChildSetup setup{::getpid(),       in.read,      out.write,  err.write,
                   exec_error.write, path.c_str(), argv.data()};
  pid_ = ::fork();
  if (pid_ < 0)
    throw_errno(errno, "fork");
  if (pid_ == 0)
    exec_child(setup);
  close_fd(exec_error.write);
  if (int error = read_exec_error(exec_error.read)) {
    ::waitpid(pid_, nullptr, 0);
    throw_errno(error, "cannot run " + path);
  }
  std::swap(stdin_fd_, in.write);
  std::swap(out_->fd, out.read);
  std::swap(err_->fd, err.read);
}

void Process::start_readers() {
  out_reader_ = std::thread([this] { out_->read_loop(stop_fd_); });
  err_reader_ = std::thread([this] { err_->read_loop(stop_fd_); });
}

void Process::stop_readers() {
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(stop_fd_, &one, sizeof one);
  if (out_reader_.joinable())
    out_reader_.join();
  if (err_reader_.joinable())
    err_reader_.join();
}

Process::Capture &Process::capture(Stream stream) const {
  return stream == Stream::out ? *out_ : *err_;
}

std::optional<LineMatch>
Process::wait_for_line(Stream stream, const std::regex &pattern,
                       std::chrono::milliseconds timeout, std::size_t from) {
  Capture &c = capture(stream);
  auto deadline = Clock::now() + timeout;
  std::unique_lock lock(c.mu);
  for (std::size_t i = from;; ++i) {
    if (!c.changed.wait_until(lock, deadline,
                              [&] { return i < c.lines.size() || c.eof; }))
      return std::nullopt;
    if (i >= c.lines.size())
      return std::nullopt; // end of stream, nothing matched
    std::smatch m;
    if (!std::regex_search(c.lines[i], m, pattern))
      continue;
    LineMatch found{c.lines[i], {}, i};
    for (const auto &group : m)
      found.groups.push_back(group.str());
    return found;
  }
}

std::vector<std::string> Process::lines(Stream stream) const {
  Capture &c = capture(stream);
  std::scoped_lock lock(c.mu);
  return c.lines;
}

std::string Process::text(Stream stream) const {
  std::string out;
  for (const std::string &line : lines(stream))
    out += line + "\n";
  return out;
}

bool Process::write_stdin(const std::string &data) {
  for (std::size_t done = 0; done < data.size();) {
    if (stdin_fd_ < 0)
      return false;
    ssize_t n = ::write(stdin_fd_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void Process::close_stdin() { close_fd(stdin_fd_); }

void Process::kill(int signal) {
  if (!status_)
    ::kill(pid_, signal);
}

bool Process::try_reap() {
  if (status_)
    return true;
  int raw = 0;
  pid_t r = ::waitpid(pid_, &raw, WNOHANG);
  if (r == pid_)
    status_ = decode(raw);
  return status_.has_value();
}

std::optional<ExitStatus> Process::wait(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!try_reap()) {
    if (Clock::now() >= deadline)
      return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  auto drained = std::max(deadline, Clock::now() + std::chrono::seconds(1));
  out_->wait_eof(drained);
  err_->wait_eof(drained);
  return status_;
}

bool Process::running() { return !try_reap(); }

} // namespace nu::e2e
