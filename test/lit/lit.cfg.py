# lit configuration for nuc's tests. %nuc runs the built nuc; %inputs is
# the declaration-only nu API used by the tests.
import os
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
config.environment["PATH"] = os.pathsep.join(
    [config.llvm_tools_dir, config.environment.get("PATH", "")])
