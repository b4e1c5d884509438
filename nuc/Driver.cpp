// Command-line handling for nuc, in the manner of clang's tools: sources,
// `-- <flags>` or `-p <build dir>`, -o, --depfile, --extra-arg, --version.
#include "Driver.hpp"

#include "Output.hpp"
#include "Version.hpp"
#include "frontend/Frontend.hpp"
#include "frontend/IRPrinter.hpp"

#include "clang/Tooling/ArgumentsAdjusters.h"
#include "clang/Tooling/CompilationDatabase.h"
#include "clang/Tooling/JSONCompilationDatabase.h"
#include "clang/Tooling/Tooling.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <iostream>

using namespace clang::tooling;
namespace cl = llvm::cl;

namespace nuc {
namespace {

cl::OptionCategory Category("nuc options");

cl::list<std::string> Sources(cl::Positional, cl::desc("<source>..."),
                              cl::cat(Category));
cl::opt<std::string>
    BuildPath("p", cl::desc("Build directory holding compile_commands.json"),
              cl::value_desc("build dir"), cl::cat(Category));
cl::opt<bool> ListProclets(
    "list-proclets",
    cl::desc("Print each proclet class: location, public methods, fields"),
    cl::cat(Category));
cl::opt<std::string>
    OutputPath("o",
               cl::desc("Write the code generated for the source to <file>"),
               cl::value_desc("file"), cl::cat(Category));
cl::opt<std::string>
    DepFilePath("depfile",
                cl::desc("With -o, write a Make-style depfile for <file>"),
                cl::value_desc("depfile"), cl::cat(Category));
cl::list<std::string>
    ExtraArgs("extra-arg", cl::desc("Append an argument to the compiler flags"),
              cl::cat(Category));
cl::list<std::string>
    ExtraArgsBefore("extra-arg-before",
                    cl::desc("Prepend an argument to the compiler flags"),
                    cl::cat(Category));

const char Overview[] = "nuc: checks and compiles nu proclets.\n\n"
                        "  nuc [options] <source>... -- <compiler flags>\n"
                        "  nuc [options] -p <build dir> [<source>...]\n";

int fail(const llvm::Twine &Message) {
  llvm::errs() << "nuc: error: " << Message << "\n";
  return 1;
}

void printVersion(llvm::raw_ostream &OS) {
  OS << "nuc version " << NucVersion << " (LLVM " << NucLLVMVersion << ")\n";
}

/// Compile commands from `--`, from -p, or found next to the first source.
std::unique_ptr<CompilationDatabase>
loadDatabase(std::unique_ptr<CompilationDatabase> Fixed, std::string &Error) {
  if (Fixed)
    return Fixed;
  std::unique_ptr<CompilationDatabase> DB;
  if (!BuildPath.empty()) {
    DB = CompilationDatabase::loadFromDirectory(BuildPath, Error);
    if (!DB) {
      std::replace(Error.begin(), Error.end(), '\n', ' ');
      Error = "cannot load compilation database from '" + BuildPath +
              "': " + llvm::StringRef(Error).rtrim().str();
    }
  } else if (!Sources.empty()) {
    std::string Ignored;
    DB = CompilationDatabase::autoDetectFromSource(Sources.front(), Ignored);
    if (!DB)
      Error = "no compiler flags: give them after '--', or a build "
              "directory with -p";
  } else {
    Error = "no input files";
  }
  return DB ? inferMissingCompileCommands(std::move(DB)) : nullptr;
}

void addAdjusters(ClangTool &Tool) {
  auto Begin = ArgumentInsertPosition::BEGIN;
  Tool.appendArgumentsAdjuster(
      getInsertArgumentAdjuster({"-D__NUC__=1", "-Wno-unknown-warning-option",
                                 "-Wno-unused-command-line-argument"},
                                Begin));
  Tool.appendArgumentsAdjuster(
      [](const CommandLineArguments &Args, llvm::StringRef) {
        for (const std::string &A : Args)
          if (llvm::StringRef(A).startswith("-resource-dir"))
            return Args;
        CommandLineArguments Out = Args;
        Out.insert(Out.begin() + (Out.empty() ? 0 : 1),
                   "-resource-dir=" + std::string(NucClangResourceDir));
        return Out;
      });
  Tool.appendArgumentsAdjuster(getInsertArgumentAdjuster(
      std::vector<std::string>(ExtraArgsBefore.begin(), ExtraArgsBefore.end()),
      Begin));
  Tool.appendArgumentsAdjuster(getInsertArgumentAdjuster(
      std::vector<std::string>(ExtraArgs.begin(), ExtraArgs.end()),
      ArgumentInsertPosition::END));
}

// The directory relative paths in \p File's compile command start from.
std::string commandDirectory(const CompilationDatabase &DB,
                             const std::string &File) {
  std::vector<CompileCommand> Commands = DB.getCompileCommands(File);
  llvm::SmallString<256> Dir(Commands.empty() ? "." : Commands[0].Directory);
  llvm::sys::fs::make_absolute(Dir);
  return std::string(Dir);
}

// Checks -o and --depfile against the sources; empty when they agree.
std::string checkOutputOptions(size_t NumFiles) {
  if (!DepFilePath.empty() && OutputPath.empty())
    return "--depfile needs -o";
  if (!OutputPath.empty() && NumFiles != 1)
    return "-o needs exactly one source file, got " + std::to_string(NumFiles);
  return "";
}

// Writes (or, after errors, removes) the generated file; the exit status.
int finishOutput(GeneratedOutput &Out, int Status,
                 const std::vector<ir::TranslationUnit> &Units) {
  if (Status != 0 || Units.size() != 1) {
    Out.discard();
    return 1;
  }
  if (llvm::Error E = Out.write(Units.front())) {
    Out.discard();
    return fail("cannot write '" + OutputPath + "': " + toString(std::move(E)));
  }
  return 0;
}

// The sources to process: those given, or else every file of the database.
std::vector<std::string> sourceFiles(const CompilationDatabase &DB,
                                     std::string &Error) {
  std::vector<std::string> Files(Sources.begin(), Sources.end());
  if (Files.empty())
    Files = DB.getAllFiles();
  if (Files.empty())
    Error = "no input files";
  for (const std::string &F : Files)
    if (Error.empty() && !llvm::sys::fs::is_regular_file(F))
      Error = "no such file: '" + F + "'";
  if (Error.empty())
    Error = checkOutputOptions(Files.size());
  return Files;
}

// Runs the frontend on every file; prints and writes what was asked for.
int process(const CompilationDatabase &DB,
            const std::vector<std::string> &Files) {
  ClangTool Tool(DB, Files);
  Tool.setPrintErrorMessage(false);
  addAdjusters(Tool);
  GeneratedOutput Out(OutputPath, DepFilePath,
                      commandDirectory(DB, Files.front()));
  auto DepFlags = Out.dependencyFlags();
  if (!DepFlags)
    return fail(toString(DepFlags.takeError()));
  // After ClangTool's own adjusters, which strip dependency flags.
  Tool.appendArgumentsAdjuster(
      getInsertArgumentAdjuster(*DepFlags, ArgumentInsertPosition::END));
  std::vector<ir::TranslationUnit> Units;
  int Status = Tool.run(newFrontendActionFactory(Units).get());
  if (ListProclets)
    for (const ir::TranslationUnit &TU : Units)
      ir::print(TU, std::cout);
  if (!OutputPath.empty())
    return finishOutput(Out, Status, Units);
  return Status == 0 ? 0 : 1;
}

} // namespace

int runDriver(int Argc, const char **Argv) {
  std::string Error;
  std::unique_ptr<CompilationDatabase> Fixed(
      FixedCompilationDatabase::loadFromCommandLine(Argc, Argv, Error));
  if (!Error.empty())
    return fail(Error);
  cl::HideUnrelatedOptions(Category);
  cl::SetVersionPrinter(printVersion);
  if (!cl::ParseCommandLineOptions(Argc, Argv, Overview, &llvm::errs()))
    return 1;

  std::unique_ptr<CompilationDatabase> DB =
      loadDatabase(std::move(Fixed), Error);
  if (!DB)
    return fail(Error);
  std::string FilesError; // Error may hold what failed before -p worked
  std::vector<std::string> Files = sourceFiles(*DB, FilesError);
  if (!FilesError.empty())
    return fail(FilesError);
  return process(*DB, Files);
}

} // namespace nuc
