// Tests of the e2e harness's Process (and Cluster::run) against /bin/sh:
// captured lines, deadlines, signals, stdin, and reaping.
#include "Process.hpp"
#include "Cluster.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cerrno>
#include <csignal>
#include <system_error>
#include <thread>

namespace {

using namespace std::chrono_literals;
using nu::e2e::Process;
using nu::e2e::Stream;

std::unique_ptr<Process> sh(const std::string &script) {
  return std::make_unique<Process>(
      "/bin/sh", std::vector<std::string>{"-c", script}, "sh");
}

std::chrono::milliseconds since(Process::Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      Process::Clock::now() - start);
}

TEST(Process, CapturesStdoutAndStderrLines) {
  auto p = sh("echo one; echo two >&2; echo three; printf partial");
  auto status = p->wait(10s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->exited_with(0)) << status->describe();
  EXPECT_EQ(p->lines(Stream::out),
            (std::vector<std::string>{"one", "three", "partial"}));
  EXPECT_EQ(p->lines(Stream::err), std::vector<std::string>{"two"});
  EXPECT_EQ(p->text(Stream::err), "two\n");
}

TEST(Process, WaitForLineReturnsTheLineAndGroups) {
  auto p = sh("echo starting; sleep 0.2; echo 'listening on port 1234'; "
              "exec sleep 30");
  auto m = p->wait_for_line(Stream::out, std::regex(R"(port (\d+))"), 10s);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->line, "listening on port 1234");
  EXPECT_EQ((*m)[0], "port 1234");
  EXPECT_EQ((*m)[1], "1234");
  EXPECT_EQ(m->index, 1u);
}

TEST(Process, WaitForLineStartsAtTheGivenIndex) {
  auto p = sh("echo go; echo go; exec sleep 30");
  auto first = p->wait_for_line(Stream::out, std::regex("go"), 10s);
  ASSERT_TRUE(first);
  auto second =
      p->wait_for_line(Stream::out, std::regex("go"), 10s, first->index + 1);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->index, 1u);
}

TEST(Process, WaitForLineTimesOut) {
  auto p = sh("echo nothing useful; exec sleep 30");
  auto start = Process::Clock::now();
  EXPECT_FALSE(p->wait_for_line(Stream::out, std::regex("ready"), 300ms));
  EXPECT_GE(since(start), 300ms);
  EXPECT_LT(since(start), 5s);
  EXPECT_TRUE(p->running());
}

TEST(Process, WaitForLineEndsWithTheStream) {
  auto p = sh("echo bye");
  auto start = Process::Clock::now();
  EXPECT_FALSE(p->wait_for_line(Stream::out, std::regex("ready"), 30s));
  EXPECT_LT(since(start), 10s);
}

TEST(Process, ExitCodeIsReported) {
  auto p = sh("exit 3");
  auto status = p->wait(10s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->exited_with(3)) << status->describe();
  EXPECT_FALSE(p->running());
  EXPECT_EQ(p->status()->code, 3);
}

TEST(Process, KillAndWaitReportTheSignal) {
  auto p = sh("exec sleep 30");
  EXPECT_FALSE(p->wait(100ms)); // still running: the wait times out
  EXPECT_TRUE(p->running());
  p->kill(SIGTERM);
  auto status = p->wait(10s);
  ASSERT_TRUE(status);
  EXPECT_FALSE(status->exited());
  EXPECT_EQ(status->signal, SIGTERM);
  EXPECT_NE(status->describe().find("signal 15"), std::string::npos);
  p->kill(SIGKILL); // reaped: nothing is sent
}

TEST(Process, StdinReachesTheChild) {
  auto p =
      sh("read line; echo \"got $line\"; read again; echo \"then $again\"");
  ASSERT_TRUE(p->write_stdin("go\n"));
  EXPECT_TRUE(p->wait_for_line(Stream::out, std::regex("^got go$"), 10s));
  ASSERT_TRUE(p->write_stdin("more\n"));
  EXPECT_TRUE(p->wait_for_line(Stream::out, std::regex("^then more$"), 10s));
  EXPECT_TRUE(p->wait(10s));
}

TEST(Process, ClosingStdinGivesEndOfFile) {
  auto p =
      std::make_unique<Process>("/bin/cat", std::vector<std::string>{}, "cat");
  ASSERT_TRUE(p->write_stdin("x\ny\n"));
  p->close_stdin();
  auto status = p->wait(10s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->exited_with(0)) << status->describe();
  EXPECT_EQ(p->text(Stream::out), "x\ny\n");
  EXPECT_FALSE(p->write_stdin("late\n"));
}

TEST(Process, WritingToAnEndedChildFailsWithoutSigpipe) {
  auto p = sh("exit 0");
  ASSERT_TRUE(p->wait(10s));
  EXPECT_FALSE(p->write_stdin("nobody reads this\n"));
}

TEST(Process, DestructorKillsAndReaps) {
  auto p = sh("exec sleep 30");
  pid_t pid = p->pid();
  ASSERT_TRUE(p->running());
  auto start = Process::Clock::now();
  p.reset();
  EXPECT_LT(since(start), 5s);
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1); // reaped already
  EXPECT_EQ(errno, ECHILD);
}

TEST(Process, ChildDiesWithTheThreadThatStartedIt) {
  std::unique_ptr<Process> p;
  std::thread([&] { p = sh("exec sleep 30"); }).join();
  auto status = p->wait(10s);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->signal, SIGKILL) << status->describe();
}

TEST(Process, MissingExecutableThrows) {
  EXPECT_THROW(Process("/nonexistent/e2e-binary", {}, "missing"),
               std::system_error);
}

TEST(Cluster, RunCollectsStatusAndOutput) {
  auto r = nu::e2e::Cluster::run(
      "/bin/sh", {"-c", "echo hi; echo err >&2; exit 4"}, "sh", 10s);
  EXPECT_TRUE(r.status.exited_with(4)) << r.status.describe();
  EXPECT_EQ(r.out, "hi\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(Cluster, RunThrowsWhenTheProcessOverstays) {
  EXPECT_THROW(
      nu::e2e::Cluster::run("/bin/sh", {"-c", "exec sleep 30"}, "sh", 200ms),
      std::runtime_error);
}

} // namespace
