#include "cli.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <sstream>

namespace po = boost::program_options;

namespace recsys::host {

namespace {

/// One option, defined once however many commands take it (program_options refuses an option
/// defined twice in one description).
struct OptionDef {
  const char* name;                            ///< "help,h" style: long name, optional short one
  std::function<po::value_semantic*()> value;  ///< nullptr: a switch
  const char* help;
};

const std::vector<OptionDef>& option_defs() {
  using strings = std::vector<std::string>;
  static const std::vector<OptionDef> defs = {
      {"help,h", nullptr, "show this help"},
      {"version", nullptr, "show the version and the plugin API"},
      {"log-level", [] { return po::value<std::string>()->default_value("info"); },
       "trace, debug, info, warn, error or off"},
      {"set", [] { return po::value<strings>()->composing(); },
       "override a pipeline value, section.key=value (the value read as TOML; a bare word is a string); "
       "repeatable"},
      {"resume", [] { return po::value<std::string>(); },
       "continue the run in RUN_DIR from checkpoints/last.pt; without PIPELINE.toml, from RUN_DIR/config.toml"},
      {"nproc", [] { return po::value<int>(); }, "number of local ranks (processes)"},
      {"master-port", [] { return po::value<int>(); }, "rendezvous port on 127.0.0.1 (default: a free one)"},
      {"split", [] { return po::value<std::string>()->default_value("test"); }, "test or validation"},
      {"checkpoint", [] { return po::value<std::string>()->default_value("best"); }, "best or last"},
      {"user", [] { return po::value<std::string>(); }, "the user's original id in the dataset (as in its files)"},
      {"k", [] { return po::value<std::int64_t>()->default_value(10); }, "how many items"},
      {"context", [] { return po::value<strings>()->composing(); },
       "a categorical context field's value, name=value (default: its most frequent training value); repeatable"},
      {"format", [] { return po::value<std::string>()->default_value("table"); }, "table, json or csv"},
      {"path", [] { return po::value<strings>()->composing(); }, "also scan this directory; repeatable"},
      {"host", [] { return po::value<std::string>()->default_value("127.0.0.1"); },
       "the address to listen on (0.0.0.0: every interface)"},
      {"port", [] { return po::value<int>()->default_value(8080); }, "the TCP port (0: any free one, printed)"},
      {"http-threads", [] { return po::value<std::size_t>()->default_value(128); },
       "connection workers; each keep-alive connection holds one"},
      {"queue", [] { return po::value<std::size_t>()->default_value(512); },
       "connections that may wait for a worker; more are answered 503 with Retry-After"},
      {"threads", [] { return po::value<int>()->default_value(0); },
       "threads of the model's operators (0: the run's [training] threads)"},
      {"max-body", [] { return po::value<std::size_t>()->default_value(1 << 20); },
       "the longest request body in bytes (longer: 413)"},
      {"batch-window-us", [] { return po::value<std::int64_t>()->default_value(500); },
       "how long scoring waits for requests being read, to score them together (microseconds)"},
      {"admin", nullptr, "let admin endpoints (POST /admin/reload) answer beyond loopback"},
      {"index", [] { return po::value<std::string>()->default_value("exact"); },
       "exact (one matrix product over the catalogue), hnsw (hnswlib) or faiss (IVF-Flat): approximate, "
       "factorised models"},
      {"hnsw-ef", [] { return po::value<std::size_t>()->default_value(100); },
       "HNSW search breadth (higher: better recall, slower)"},
      {"faiss-nprobe", [] { return po::value<std::size_t>()->default_value(16); },
       "Faiss IVF cells scanned per query (higher: better recall, slower)"},
      {"check", [] { return po::value<std::string>(); },
       "load this one library and run the conformance suite on its plugins"},
  };
  return defs;
}

std::string long_name(const OptionDef& def) {
  const std::string name = def.name;
  return name.substr(0, name.find(','));
}

void add(po::options_description& description, const OptionDef& def) {
  if (def.value) {
    description.add_options()(def.name, def.value(), def.help);
  } else {
    description.add_options()(def.name, def.help);
  }
}

const OptionDef& def_of(const std::string& name) {
  const auto& defs = option_defs();
  return *std::find_if(defs.begin(), defs.end(), [&](const OptionDef& d) { return long_name(d) == name; });
}

const std::vector<std::string>& common_option_names() {
  static const std::vector<std::string> names = {"help", "log-level"};
  return names;
}

}  // namespace

const std::vector<CommandSpec>& command_specs() {
  static const std::vector<CommandSpec> specs = {
      {"run",
       "recsys-host run PIPELINE.toml [--set section.key=value ...]\n  recsys-host run --resume RUN_DIR [--set ...]",
       "Trains, validates and tests the pipeline the TOML file describes, writing a run directory\n"
       "(config.toml, metrics.csv, checkpoints/, summary.json) and an MLflow run. Ctrl-C (SIGINT) or\n"
       "SIGTERM stops after the current batch and prints the command that continues the run.",
       {"set", "resume"},
       "recsys-host run configs/movielens_mf.toml\n"
       "recsys-host run configs/movielens_mf.toml --set training.epochs=5 --set model.embedding_dim=32\n"
       "recsys-host run --resume runs/movielens_mf/latest"},
      {"launch",
       "recsys-host launch --nproc N PIPELINE.toml [run options]\n  recsys-host launch --nproc N --resume RUN_DIR",
       "Runs the pipeline data-parallel on N local ranks (c10d, [distributed] backend). Under\n"
       "torchrun, SLURM or MPI, start `run` itself: it reads RANK, WORLD_SIZE, MASTER_ADDR and\n"
       "MASTER_PORT. SIGINT and SIGTERM are forwarded to every rank.",
       {"nproc", "master-port", "set", "resume"},
       "recsys-host launch --nproc 2 configs/movielens_mf.toml\n"
       "recsys-host launch --nproc 2 --resume runs/movielens_mf/latest"},
      {"evaluate",
       "recsys-host evaluate RUN_DIR [--split test|validation] [--checkpoint best|last]",
       "Recomputes a run's metrics from one of its checkpoints, with the run's own plugins, data and\n"
       "protocol, from any working directory.",
       {"split", "checkpoint"},
       "recsys-host evaluate runs/movielens_mf/latest\n"
       "recsys-host evaluate runs/movielens_mf/latest --split validation --checkpoint last"},
      {"recommend",
       "recsys-host recommend RUN_DIR --user ID [--k 10] [--format table|json|csv] [--context name=value ...]",
       "Prints a user's top-k items by the run's best checkpoint (original ids), leaving out the\n"
       "user's known positives.",
       {"user", "k", "format", "context"},
       "recsys-host recommend runs/movielens_mf/latest --user 1\n"
       "recsys-host recommend runs/movielens_mf/latest --user 1 --k 5 --format json"},
      {"serve",
       "recsys-host serve RUN_DIR [--checkpoint best|last] [--host 127.0.0.1] [--port 8080] [server options]",
       "Answers top-k (GET/POST /recommend), scoring (POST /score) and similar-item (GET /similar)\n"
       "requests over HTTP from the run's checkpoint, with /healthz and /metrics (Prometheus).\n"
       "SIGHUP or POST /admin/reload loads the checkpoint again; SIGTERM and SIGINT finish the\n"
       "requests in flight and exit 0. docs/serving.md.",
       {"checkpoint", "host", "port", "http-threads", "queue", "threads", "max-body", "batch-window-us", "admin",
        "index", "hnsw-ef", "faiss-nprobe"},
       "recsys-host serve runs/movielens_mf/latest\n"
       "recsys-host serve runs/movielens_mf/latest --index hnsw\n"
       "recsys-host serve runs/movielens_mf/latest --index faiss --faiss-nprobe 8\n"
       "recsys-host serve runs/movielens_mf/latest --port 9000 --checkpoint last"},
      {"plugins",
       "recsys-host plugins [--path DIR ...]\n  recsys-host plugins --check FILE",
       "Lists the plugin libraries found (lib/recsys/plugins beside the executable, RECSYS_PLUGIN_PATH\n"
       "and each --path), what they provide and their status; --check runs the conformance suite\n"
       "on one library.",
       {"path", "check"},
       "recsys-host plugins\n"
       "recsys-host plugins --path ./my-plugins\n"
       "recsys-host plugins --check ./build/libmy_model.so"},
  };
  return specs;
}

const CommandSpec* find_command(const std::string& name) {
  for (const auto& spec : command_specs()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

po::options_description all_options() {
  po::options_description all;
  for (const auto& def : option_defs()) add(all, def);
  return all;
}

std::string global_help() {
  std::ostringstream out;
  out << "Usage:\n";
  for (const auto& spec : command_specs()) out << "  " << spec.synopsis << "\n";
  out << "  recsys-host --help | --version\n\nCommands:\n";
  for (const auto& spec : command_specs()) {
    const std::string first_line = spec.description.substr(0, spec.description.find('\n'));
    out << "  " << spec.name << std::string(10 - spec.name.size(), ' ') << first_line << "\n";
  }
  out << "\n`recsys-host COMMAND --help` shows a command's options and examples.\n"
         "Plugins are searched in lib/recsys/plugins beside the executable, in RECSYS_PLUGIN_PATH\n"
         "(colon-separated) and in the pipeline's [plugins] paths.\n"
         "Exit status: 0 success, 1 failure at run time, 2 bad usage or configuration;\n"
         "a run stopped by SIGINT or SIGTERM ends by that signal (130 or 143 in a shell).\n";
  return out.str();
}

std::string command_help(const CommandSpec& command) {
  po::options_description options("Options");
  for (const auto& name : command.options) add(options, def_of(name));
  for (const auto& name : common_option_names()) add(options, def_of(name));
  std::ostringstream out;
  out << "Usage:\n  " << command.synopsis << "\n\n" << command.description << "\n\n" << options << "\nExamples:\n";
  std::istringstream examples(command.examples);
  for (std::string line; std::getline(examples, line);) out << "  " << line << "\n";
  return out.str();
}

void check_options_belong(const CommandSpec& command, const po::variables_map& vm) {
  const auto& common = common_option_names();
  for (const auto& [name, value] : vm) {
    if (value.defaulted() || name == "command" || name == "args") continue;
    if (std::find(common.begin(), common.end(), name) != common.end()) continue;
    if (std::find(command.options.begin(), command.options.end(), name) != command.options.end()) continue;
    std::string owners;
    for (const auto& spec : command_specs()) {
      if (std::find(spec.options.begin(), spec.options.end(), name) == spec.options.end()) continue;
      owners += (owners.empty() ? "" : " and ") + spec.name;
    }
    if (owners.empty()) throw po::error("--" + name + " is not an option of " + command.name);
    throw po::error("--" + name + " is an option of " + owners + ", not of " + command.name + " (see recsys-host " +
                    command.name + " --help)");
  }
}

}  // namespace recsys::host
