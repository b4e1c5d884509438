# lit configuration for nuc's tests. %nuc runs the built nuc; %inputs is
# the declaration-only nu API used by the tests; %runtime_includes the
# -isystem flags of the real runtime headers; %clangxx and %cxx compilers
# for the generated code.
import os
import shutil
import lit.formats

config.name = "nuc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".cpp", ".test"]
config.excludes = ["Inputs"]
config.test_source_root = os.path.dirname(__file__)

inputs = os.path.join(config.test_source_root, "Inputs")
config.substitutions.append(("%inputs", inputs))
config.substitutions.append(("%nuc", config.nuc))
config.substitutions.append(("%flags", "-std=c++20 -ferror-limit=0 -I" + inputs))
runtime = os.path.join(config.nu_source_dir, "runtime")
config.substitutions.append(("%runtime_includes", " ".join(
    "-isystem " + os.path.join(runtime, d) for d in ("include", "wire/include"))))
config.substitutions.append(("%clangxx", config.clang + " --driver-mode=g++"))
config.substitutions.append(("%cxx", config.cxx))
config.environment["PATH"] = os.pathsep.join(
    [config.llvm_tools_dir, config.environment.get("PATH", "")])
if shutil.which("ninja"):
    config.available_features.add("ninja")
