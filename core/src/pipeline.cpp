#include "recsys/core/pipeline.hpp"

#include <chrono>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <toml++/toml.h>
#include <torch/torch.h>

#include "recsys/config_toml.hpp"
#include "recsys/core/checkpoint.hpp"
#include "recsys/core/digest.hpp"
#include "recsys/core/files.hpp"
#include "recsys/core/model_summary.hpp"
#include "recsys/core/resume_check.hpp"
#include "recsys/core/run_data.hpp"
#include "recsys/core/run_records.hpp"
#include "recsys/core/runtime_info.hpp"
#include "recsys/core/seed.hpp"
#include "recsys/core/stop.hpp"
#include "recsys/errors.hpp"

namespace recsys::core {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kModelKeys{"plugin", "architecture"};
const std::string kNoSampler = "none";

/// The plugin a section names with one of `keys` (`plugin`, or `architecture` for models).
std::string plugin_name(const Config& section, const std::vector<std::string>& keys) {
  if (keys.size() == 2 && section.contains(keys[0]) && section.contains(keys[1])) {
    section.fail(keys[1], "give either '" + keys[0] + "' or '" + keys[1] + "', not both");
  }
  for (const auto& key : keys) {
    if (section.contains(key)) return section.get_string(key);
  }
  section.fail(keys.front(), "required key is missing (the " + section.path() + " plugin to use)");
}

std::string key_of(const Config& section, const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    if (section.contains(key)) return key;
  }
  return keys.front();
}

/// Runs `create` for the plugin that `section.key` names. Re-throws "no such plugin" as a
/// config error pointing at that key; when the plugin rejects its table, a misspelled key
/// in it is the likelier cause, so that is reported first ("data_dri" before "data_dir
/// does not exist").
template <typename Create>
auto create_plugin(const Config& section, const std::string& key, Create create) {
  try {
    return create();
  } catch (const PluginNotFoundError& error) {
    throw PluginNotFoundError(section.where(key) + ": " + error.what());
  } catch (const ConfigError&) {
    section.check_misspelled_keys();
    throw;
  }
}

/// A metric plugin; "hr@10" is plugin "hr@k" with `k = 10` in its config table.
std::shared_ptr<Metric> create_metric(const PluginRegistry& registry, const std::string& name,
                                      const std::string& source) {
  const MetricName parsed = parse_metric_name(name);
  auto table = std::make_shared<toml::table>();
  if (parsed.k >= 0) table->insert("k", parsed.k);
  const toml::table* root = table.get();
  const Config metric_config = make_config(std::move(table), root, "evaluation.metrics." + name, source);
  return registry.create<PluginKind::metric>(parsed.plugin, metric_config);
}

/// One line that says what the figures mean: protocol, split, negatives, candidates, ties.
std::string describe_protocol(const EvaluationOptions& evaluation, const SplitOptions& split,
                              const std::string& sampler, const Config& sampler_section, LossScores scores) {
  std::ostringstream out;
  out << "protocol " << evaluation.protocol_name() << "; split " << split.describe();
  if (scores == LossScores::in_batch) {
    out << "; training negatives: the batch's other positives (in-batch softmax, accidental hits removed)";
  } else if (scores == LossScores::catalogue) {
    out << "; training negatives: every item (full softmax)";
  } else if (sampler == kNoSampler) {
    out << "; labelled feedback: training on the rows with their labels, no sampled negatives; validation/test: "
           "the held-out rows with their labels; ties: roc_auc counts a tied pair 1/2";
    return out.str();
  } else {
    out << "; training negatives: " << sampler << " sampler";
    const auto& resolved = sampler_section.impl().resolved;
    if (const auto* n = resolved.get("num_negatives"); n && n->is_integer()) {
      out << ", " << n->as_integer()->get() << " per positive";
    }
    out << ", redrawn every epoch";
  }
  out << "; ";
  switch (evaluation.protocol) {
    case Protocol::pointwise:
      out << "validation/test: held-out positives with negatives drawn once per seed by the same sampler; ties: "
             "roc_auc counts a tied pair 1/2";
      return out.str();
    case Protocol::sampled:
      out << "validation/test: one list per held-out positive with " << evaluation.num_candidates
          << " candidates drawn once per seed among the user's non-positive items";
      break;
    case Protocol::full:
      out << "validation/test: one list per user over every item, earlier splits' positives masked";
      break;
  }
  out << "; ties: pessimistic (a tied negative ranks above the positive)";
  return out.str();
}

std::string default_run_name(const std::string& model) {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  localtime_r(&now, &tm);
  std::ostringstream name;
  name << std::put_time(&tm, "%Y%m%d-%H%M%S") << "-" << model;
  return name.str();
}

std::string metrics_line(const Evaluation& evaluation) {
  std::ostringstream line;
  line << std::fixed << std::setprecision(4) << "loss " << evaluation.loss;
  for (const auto& [name, value] : evaluation.metrics) line << "  " << name << " " << value;
  return line.str();
}

/// Process-wide settings (heap, threads), then a log line of the BLAS and thread counts.
void configure_runtime(const TrainerOptions& training, const LaunchEnvironment& launch) {
  // Ranks on one machine share its cores (as torchrun's OMP_NUM_THREADS): no oversubscription.
  configure_allocator();
  const ThreadPlan threads = configure_threads(static_cast<int>(training.threads), launch.local_world_size);
  log_blas(threads);
}

/// A registered plugin as the run's records list it.
PluginUse plugin_use(const PluginRecord& record) {
  return {to_string(record.kind), record.name, record.version, record.path};
}

/// The split, training, logging, evaluation and distributed options.
void read_options(Pipeline& p, const PipelineConfig& config) {
  p.split = SplitOptions::from_config(config.section("split"));
  p.training = TrainerOptions::from_config(config.section("training"));
  p.logging = LoggingOptions::from_config(config.section("logging"));
  p.evaluation = EvaluationOptions::from_config(config.section("evaluation"));
  p.distributed = DistributedOptions::from_config(config.section("distributed"));
}

/// The dataset, sampler and loss plugins.
void create_data_plugins(Pipeline& p, const PipelineConfig& config, const PluginRegistry& registry) {
  const Config& dataset_section = config.section("dataset");
  const Config& sampler_section = config.section("sampler");
  const Config& loss_section = config.section("loss");
  p.dataset_name = plugin_name(dataset_section, {"plugin"});
  p.dataset = create_plugin(dataset_section, "plugin",
                            [&] { return registry.create<PluginKind::dataset>(p.dataset_name, dataset_section); });
  p.sampler_name = sampler_section.get_string("plugin", "uniform");
  // "none": labelled data trains on its own rows and labels, with no sampled negatives.
  if (p.sampler_name != kNoSampler) {
    p.sampler = create_plugin(sampler_section, "plugin",
                              [&] { return registry.create<PluginKind::sampler>(p.sampler_name, sampler_section); });
  }
  const std::string exclude = sampler_section.get_string("exclude", "all_splits");
  if (exclude != "all_splits" && exclude != "training") {
    sampler_section.fail("exclude",
                         "expected \"all_splits\" (a negative is no positive of any split, the default) "
                         "or \"training\" (no training positive: RecBole's rule)");
  }
  p.negatives_avoid_training_only = exclude == "training";
  p.loss_name = loss_section.get_string("plugin", "mse");
  p.loss = create_plugin(loss_section, "plugin",
                         [&] { return registry.create<PluginKind::loss>(p.loss_name, loss_section); });
  p.plugins = {plugin_use(registry.find(PluginKind::dataset, p.dataset_name))};
  if (p.sampler) p.plugins.push_back(plugin_use(registry.find(PluginKind::sampler, p.sampler_name)));
  p.plugins.push_back(plugin_use(registry.find(PluginKind::loss, p.loss_name)));
}

/// The metric plugins of `[evaluation] metrics`, then `[early_stopping]`, whose default
/// direction is the monitored metric's.
void create_metrics(Pipeline& p, const PipelineConfig& config, const PluginRegistry& registry) {
  const Config& evaluation_section = config.section("evaluation");
  for (const auto& name : p.evaluation.metrics) {
    p.metrics.push_back({name, create_plugin(evaluation_section, "metrics",
                                             [&] { return create_metric(registry, name, config.source()); })});
    p.plugins.push_back(plugin_use(registry.find(PluginKind::metric, parse_metric_name(name).plugin)));
  }
  const auto higher_is_better = [&](const std::string& name) {
    for (const auto& m : p.metrics) {
      if (m.name == name) return m.metric->higher_is_better();
    }
    return true;
  };
  p.early_stopping =
      EarlyStoppingOptions::from_config(config.section("early_stopping"), p.evaluation.metrics, higher_is_better);
  if ((p.loss->grouped() || p.loss->scores() != LossScores::rows) && p.early_stopping.monitor == "loss") {
    config.section("early_stopping")
        .fail("monitor", "the loss '" + p.loss_name +
                             "' compares each positive with negatives of its own and has no value on validation lists; "
                             "monitor a metric of [evaluation] metrics (e.g. \"ndcg@10\")");
  }
}

/// The ranks' process group under data parallelism (null for one process).
std::shared_ptr<ProcessGroup> connect_ranks(const LaunchEnvironment& launch, const DistributedOptions& options) {
  if (!launch.distributed()) return nullptr;
  auto group = ProcessGroup::connect(launch, options);
  spdlog::info("rank {} of {} connected ({} backend, rendezvous at {}:{})", launch.rank, launch.world_size,
               options.backend, launch.master_addr, launch.master_port);
  return group;
}

bool names_a_path(const std::string& key) {
  const auto ends_with = [&](const char* suffix) {
    const std::string tail(suffix);
    return key.size() >= tail.size() && key.compare(key.size() - tail.size(), tail.size(), tail) == 0;
  };
  return ends_with("_dir") || ends_with("_path") || ends_with("_file") || ends_with(".paths");
}

std::string absolute_path_text(const std::string& path) {
  return path.empty() ? path : fs::absolute(path).lexically_normal().string();
}

/// The resolved config with every path key (`*_dir`, `*_path`, `*_file`, `paths`) made
/// absolute against the working directory, so the run's config.toml works from any folder;
/// `written` gets the relative ones as the user wrote them (for run.json).
std::string with_absolute_paths(const std::string& resolved,
                                std::vector<std::pair<std::string, std::string>>& written) {
  toml::table document = toml::parse(resolved);
  for (auto& [section_name, section] : document) {
    auto* table = section.as_table();
    if (!table) continue;
    for (auto& [key_name, node] : *table) {
      const std::string key = std::string(section_name.str()) + "." + std::string(key_name.str());
      if (!names_a_path(key)) continue;
      if (auto* text = node.as_string(); text && fs::path(text->get()).is_relative() && !text->get().empty()) {
        written.emplace_back(key, text->get());
        *text = absolute_path_text(text->get());
      } else if (auto* list = node.as_array()) {
        for (auto& entry : *list) {
          auto* item = entry.as_string();
          if (item && fs::path(item->get()).is_relative() && !item->get().empty()) {
            written.emplace_back(key, item->get());
            *item = absolute_path_text(item->get());
          }
        }
      }
    }
  }
  std::ostringstream out;
  out << document << "\n";
  return out.str();
}

RunDescription describe_run(const Pipeline& p, const PipelineConfig& config) {
  RunDescription run{p.logging, default_run_name(p.model_name), "", p.evaluation.metrics, p.plugins, p.protocol, {}};
  run.resolved_config = with_absolute_paths(config.resolved_toml(), run.paths_as_written);
  run.logging.output_dir = absolute_path_text(run.logging.output_dir);
  return run;
}

/// The records of a new run, with the sampled protocol's candidate lists: they go with the
/// run, so a later evaluation or another model can be checked against exactly the same lists.
RunRecords start_records(const RunDescription& run, const Pipeline& p, const TrainingData& data, bool writer) {
  RunRecords records = RunRecords::start(run, writer);
  if (p.evaluation.protocol == Protocol::sampled) {
    records.write_candidates("validation", static_cast<const MaterializedSet&>(*data.validation), data.interactions);
    records.write_candidates("test", static_cast<const MaterializedSet&>(*data.test), data.interactions);
  }
  return records;
}

/// Refuses a resume whose pipeline differs from the run's in a key that shapes the saved
/// state, naming every such key; logs one line per allowed change.
void check_resume_changes(const RunDirectory& directory, const std::string& resolved_config) {
  // (The data itself is checked by check_same_data, below, against run.json's fingerprint.)
  const fs::path saved_file = directory.config_file();
  std::string refused;
  for (const ResumeChange& change : resume_changes(read_text_file(saved_file), resolved_config)) {
    if (change.allowed) {
      spdlog::info("resume: {} changes from {} to {}", change.key, change.saved, change.current);
    } else {
      refused += "\n  " + change.key + ": the run has " + change.saved + ", this pipeline " + change.current;
    }
  }
  if (refused.empty()) return;
  throw ConfigError("--resume " + directory.path().string() + ": the pipeline differs from the run's " +
                    saved_file.string() + " in keys that its checkpoint depends on:" + refused +
                    "\n(resume without a pipeline file, `recsys-host run --resume " + directory.path().string() +
                    "`, to continue with the run's own config; training.epochs, eval_every, learning_rate, threads, "
                    "prefetch, device, eval_batch_size, early_stopping.* and distributed.* may change)");
}

/// Continues from the checkpoints in `directory`: every rank reads them (the same files), so
/// all continue from the same state; rank 0 reopens the records.
RunRecords resume_records(const RunDirectory& directory, Trainer& trainer, const RunDescription& run, bool writer) {
  check_resume_changes(directory, run.resolved_config);
  check_same_data(directory, run.data);
  trainer.load(directory.checkpoint("last"), directory.checkpoint("best"));
  RunRecords records = RunRecords::reopen(directory.path(), run, trainer.epoch(), writer);
  spdlog::info("resuming {} after epoch {}{} (best epoch {})", directory.path().string(), trainer.epoch(),
               trainer.in_mid_epoch() ? " and batch " + std::to_string(trainer.next_batch()) + " of the next" : "",
               trainer.best_epoch());
  return records;
}

/// The epochs a finished run trained (its summary.json), or -1 when it has no summary.
std::int64_t finished_epochs(const RunDirectory& directory) {
  const fs::path file = directory.path() / "summary.json";
  if (!fs::exists(file)) return -1;
  try {
    return nlohmann::json::parse(read_text_file(file)).at("epochs").get<std::int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": not a run summary: " + e.what());
  }
}

void log_epoch(const EpochResult& epoch, std::int64_t epochs) {
  const double wait = 100.0 * epoch.data_wait_seconds / std::max(1e-9, epoch.train_seconds);
  spdlog::info("epoch {}/{}: train loss {:.5f}, {:.1f}k samples/s, waiting for data {:.1f}%{}{} ({:.2f} s training{})",
               epoch.epoch, epochs, epoch.train_loss, epoch.samples_per_second / 1000.0, wait,
               epoch.validated ? " | validation " : "", epoch.validated ? metrics_line(epoch.validation) : "",
               epoch.train_seconds,
               epoch.validated ? fmt::format(", {:.2f} s validation", epoch.validation.seconds) : std::string());
}

RunOutcome describe_outcome(const TrainingData& data, const Pipeline& p, const LaunchEnvironment& launch,
                            const RunRecords& records) {
  RunOutcome outcome;
  outcome.run_directory = records.directory();
  outcome.num_users = data.interactions.schema.user.num_ids;
  outcome.num_items = data.interactions.schema.item.num_ids;
  outcome.num_positives = data.interactions.num_interactions();
  outcome.protocol = p.protocol;
  outcome.rank = launch.rank;
  outcome.world_size = launch.world_size;
  return outcome;
}

}  // namespace

void discover_plugins(PluginRegistry& registry, const PipelineConfig& config) {
  const Config& plugins = config.section("plugins");
  for (const auto& directory : plugins.get_string_list("paths", {})) {
    std::error_code ec;
    if (!fs::is_directory(directory, ec)) plugins.fail("paths", "'" + directory + "' is not a directory");
    registry.scan_directory(directory);
  }
  for (const auto& directory : default_plugin_directories()) registry.scan_directory(directory);
  for (const auto& library : registry.libraries()) {
    if (!library.ok)
      spdlog::warn("plugin library refused: {}: {}", library.path, library.error);
    else if (!library.error.empty())
      spdlog::warn("plugin library {}: {}", library.path, library.error);
  }
}

Pipeline build_pipeline(const PipelineConfig& config, const PluginRegistry& registry) {
  Pipeline p;
  read_options(p, config);
  create_data_plugins(p, config, registry);
  create_metrics(p, config, registry);
  const Config& model_section = config.section("model");
  p.model_name = plugin_name(model_section, kModelKeys);
  // The model is built after the data (it needs the schema), but its name is checked now.
  p.plugins.push_back(plugin_use(create_plugin(model_section, key_of(model_section, kModelKeys),
                                               [&] { return registry.find(PluginKind::model, p.model_name); })));
  for (const auto& name : pipeline_sections()) {
    if (name != "model") config.section(name).check_unknown_keys();
  }
  config.check_unknown_sections();
  p.protocol = describe_protocol(p.evaluation, p.split, p.sampler_name, config.section("sampler"), p.loss->scores());
  return p;
}

namespace {

// A run on an empty split trains on nothing or reports NaN for every metric, both with exit 0:
// refuse it, naming the split and what the user can change.
void check_splits_not_empty(const TrainingData& data, const Pipeline& p) {
  const std::pair<const char*, std::int64_t> parts[] = {{"training", data.train_user_id.size(0)},
                                                        {"validation", data.split.validation.size(0)},
                                                        {"test", data.split.test.size(0)}};
  for (const auto& [name, rows] : parts) {
    if (rows > 0) continue;
    throw ConfigError(std::string("split: the ") + name + " split is empty (" +
                      std::to_string(data.interactions.num_interactions()) + " positives, split " + p.split.describe() +
                      "): too few positives for the split; change split.* or the dataset's " + "filters");
  }
}

// A loss whose negatives are the batch's other positives or the whole catalogue trains on
// implicit positives alone, and the pointwise protocol (which draws its negatives with the
// sampler) has no sampler to draw with.
void check_feedback_without_sampler(const InteractionData& data, const Pipeline& p, const PipelineConfig& config) {
  const std::string what = "the loss '" + p.loss_name + "' takes its negatives from the batch or the catalogue";
  if (data.labelled()) config.section("loss").fail("plugin", what + ", which needs implicit feedback");
  if (p.sampler) {
    config.section("sampler").fail("plugin", what + ": set plugin = \"none\" instead of '" + p.sampler_name + "'");
  }
  if (p.evaluation.protocol == Protocol::pointwise) {
    config.section("evaluation")
        .fail("protocol", what +
                              " and trains without a sampler, which the pointwise protocol draws its "
                              "negatives with: use protocol = \"full\" or \"sampled\"");
  }
}

// Labelled data brings its own negatives and implicit data needs sampled ones: refuse the
// mismatch at the sampler key.
void check_feedback(const InteractionData& data, const Pipeline& p, const PipelineConfig& config) {
  const Config& sampler = config.section("sampler");
  if (data.labelled() && p.sampler) {
    sampler.fail("plugin",
                 "the dataset gives labelled feedback (rows labelled 0 and 1), which trains on its own "
                 "negatives: set plugin = \"none\" instead of '" +
                     p.sampler_name + "'");
  }
  if (p.loss->scores() != LossScores::rows) {
    check_feedback_without_sampler(data, p, config);
    return;
  }
  if (!data.labelled() && !p.sampler) {
    sampler.fail("plugin",
                 "\"none\" needs labelled feedback, but the dataset gives implicit feedback (every row a "
                 "positive): name a negative sampler such as \"uniform\", or load labels (feedback = "
                 "\"labelled\")");
  }
}

/// The checks of the data against the pipeline: feedback and sampler, protocol, split.
void check_data_fits(const InteractionData& data, const Pipeline& p, const PipelineConfig& config) {
  check_feedback(data, p, config);
  if (data.labelled() && p.evaluation.protocol != Protocol::pointwise) {
    config.section("evaluation")
        .fail("protocol", std::string("'") + p.evaluation.protocol_name() +
                              "' needs implicit feedback; labelled data is evaluated pointwise on its held-out rows "
                              "with their own labels (protocol = \"pointwise\")");
  }
  if (data.split.defined() != (p.split.strategy == "given")) {
    config.section("split").fail("strategy", data.split.defined()
                                                 ? "the dataset comes split (pre-split files): set strategy = \"given\""
                                                 : "\"given\" needs a dataset that comes split (pre-split files)");
  }
}

std::string counts_line(const InteractionData& d) {
  if (!d.labelled()) return std::to_string(d.num_interactions()) + " positives";
  const auto positives = d.label.gt(0.5f).sum().item<std::int64_t>();
  return std::to_string(d.num_interactions()) + " labelled rows (" + std::to_string(positives) + " positive)";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

LoadedPipeline load_pipeline(const Pipeline& p, const PipelineConfig& config, const PluginRegistry& registry) {
  const auto start = std::chrono::steady_clock::now();
  InteractionData interactions = p.dataset->load();
  spdlog::info("dataset {}: {} users, {} items, {} ({:.2f} s)", p.dataset_name, interactions.schema.user.num_ids,
               interactions.schema.item.num_ids, counts_line(interactions),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  check_data_fits(interactions, p, config);
  const auto split_start = std::chrono::steady_clock::now();
  SplitIndices split = split_interactions(interactions, p.split, p.training.seed);
  const double split_seconds = seconds_since(split_start);
  // What the dataset fits on the training split (rare values, scaling) is fitted before the
  // model is sized from the schema.
  p.dataset->fit_on_training_split(interactions, split.train);
  const FeatureSchema schema = interactions.schema;
  // A sampler that learns from the training split (popularity) fits before it draws the
  // pointwise protocol's evaluation negatives.
  if (p.sampler) {
    p.sampler->fit_on_training_split(interactions.user_id.index_select(0, split.train),
                                     interactions.item_id.index_select(0, split.train), schema.user.num_ids,
                                     schema.item.num_ids);
  }

  torch::manual_seed(derive_seed(p.training.seed, static_cast<std::uint64_t>(SeedStream::model_init)));
  const Config& model_section = config.section("model");
  auto model = create_plugin(model_section, key_of(model_section, kModelKeys),
                             [&] { return registry.create<PluginKind::model>(p.model_name, model_section, &schema); });
  model_section.check_unknown_keys();
  if (p.loss->scores() != LossScores::rows && !model->factorized()) {
    config.section("loss").fail("plugin", "the loss '" + p.loss_name +
                                              "' scores users against the batch's or every item's vectors, but "
                                              "the model '" +
                                              p.model_name +
                                              "' is not a dot product of user and item vectors (use a factorised "
                                              "model such as mf or lightgcn, or negatives = \"sampled\")");
  }
  model->fit_on_training_split(interactions, split.train);

  const auto sets_start = std::chrono::steady_clock::now();
  TrainingData data =
      prepare_training_data(std::move(interactions), std::move(split), p.evaluation, p.sampler.get(), p.training.seed);
  if (p.negatives_avoid_training_only) {
    data.training_exclusions =
        std::make_shared<PositiveSet>(data.train_user_id, data.train_item_id, schema.user.num_ids, schema.item.num_ids);
  }
  check_splits_not_empty(data, p);
  spdlog::info(
      "split: {} train / {} validation / {} test positives; evaluation rows: {} validation in {} lists, "
      "{} test in {} lists (split {:.2f} s, positive set and evaluation sets {:.2f} s)",
      data.train_user_id.size(0), data.split.validation.size(0), data.split.test.size(0), data.validation->num_rows(),
      data.validation->num_lists(), data.test->num_rows(), data.test->num_lists(), split_seconds,
      seconds_since(sets_start));
  return {std::move(data), std::move(model)};
}

namespace {

/// Trains with the run's records: an epoch's rows and checkpoints after each, and on a
/// graceful stop the mid-epoch checkpoint and MLflow KILLED before Interrupted goes on (with
/// the run directory to resume).
TrainResult fit_and_record(Trainer& trainer, const TrainingData& data, const Pipeline& p,
                           const RunDescription& description, RunRecords& records) {
  const auto checkpoint = [&] { return trainer.save(description.resolved_config); };
  try {
    return trainer.fit(data, [&](const EpochResult& epoch, bool improved) {
      log_epoch(epoch, p.training.epochs);
      records.after_epoch(epoch, improved, checkpoint);
    });
  } catch (const Interrupted& stop) {
    records.interrupt(trainer.in_mid_epoch(), checkpoint);
    throw Interrupted(stop.signal(), stop.where(), records.directory());
  } catch (...) {
    records.fail();
    throw;
  }
}

}  // namespace

RunOutcome run_pipeline(const PipelineConfig& config, PluginRegistry& registry, const std::optional<fs::path>& resume,
                        const LaunchEnvironment& launch) {
  // Everything that does not need the data is built and checked first, so a bad config
  // fails before any file is read.
  const Pipeline p = build_pipeline(config, registry);
  std::optional<RunDirectory> resumed;
  if (resume) resumed = RunDirectory::open_to_resume(*resume);
  if (resumed) {
    if (const std::int64_t trained = finished_epochs(*resumed); trained >= p.training.epochs) {
      RunOutcome finished;
      finished.run_directory = resumed->path();
      finished.already_finished = trained;
      return finished;
    }
  }
  const std::shared_ptr<ProcessGroup> group = connect_ranks(launch, p.distributed);
  const bool writer = launch.rank == 0;  // only rank 0 writes the run's records
  configure_runtime(p.training, launch);
  const LoadedPipeline loaded = load_pipeline(p, config, registry);
  spdlog::info("model {}:\n{}", p.model_name, model_summary(*loaded.model, p.model_name));
  spdlog::info("protocol {} (described in full in the summary and summary.json)", p.evaluation.protocol_name());
  if (const int signal = stop_signal()) {
    throw Interrupted(signal, "while loading the data", resumed ? resumed->path() : fs::path());
  }

  Trainer trainer(p.training, loaded.model, p.loss, p.sampler, p.metrics, p.early_stopping, group);
  RunDescription description = describe_run(p, config);
  description.data = data_record(loaded.data.interactions);
  RunRecords records = resumed ? resume_records(*resumed, trainer, description, writer)
                               : start_records(description, p, loaded.data, writer);
  if (writer) spdlog::info("run directory {}", records.directory().string());
  RunOutcome outcome = describe_outcome(loaded.data, p, launch, records);
  outcome.result = fit_and_record(trainer, loaded.data, p, description, records);
  spdlog::info("test (epoch {}): {} ({:.2f} s)", outcome.result.best_epoch, metrics_line(outcome.result.test),
               outcome.result.test.seconds);
  records.finish(outcome.result);
  return outcome;
}

}  // namespace recsys::core
