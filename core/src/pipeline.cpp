#include "recsys/core/pipeline.hpp"

#include <chrono>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <sstream>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "recsys/config_toml.hpp"
#include "recsys/errors.hpp"
#include "recsys/core/checkpoint.hpp"
#include "recsys/core/mlflow_store.hpp"
#include "recsys/core/model_summary.hpp"
#include "recsys/core/runtime_info.hpp"
#include "recsys/core/seed.hpp"

#ifndef RECSYS_GIT_REVISION
#define RECSYS_GIT_REVISION ""
#endif

namespace recsys::core {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kModelKeys{"plugin", "architecture"};

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
                              const std::string& sampler, const Config& sampler_section) {
  std::ostringstream out;
  out << "protocol " << evaluation.protocol_name() << "; split " << split.describe() << "; training negatives: "
      << sampler << " sampler";
  const auto& resolved = sampler_section.impl().resolved;
  if (const auto* n = resolved.get("num_negatives"); n && n->is_integer()) {
    out << ", " << n->as_integer()->get() << " per positive";
  }
  out << ", redrawn every epoch; ";
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
  const BlasInfo& blas = threads.blas_info;
  if (blas.family == "reference") {
    spdlog::warn("BLAS: {} is the reference BLAS, 10-20x slower on MLP models; select OpenBLAS "
                 "(apt-get install libopenblas0-pthread; update-alternatives --config libblas.so.3-x86_64-linux-gnu)",
                 blas.library);
  } else {
    std::string details = blas.library.empty() ? std::string("not mapped") : blas.library;
    if (blas.threads > 0) details += ", " + std::to_string(blas.threads) + (blas.threads == 1 ? " thread" : " threads");
    if (!blas.core.empty()) details += ", " + blas.core + " kernels";
    if (!blas.core_from_environment.empty()) details += " from OPENBLAS_CORETYPE";
    spdlog::info("BLAS: {} ({}), torch intra-op threads: {}{}", blas.family, details, threads.intra_op,
                 blas.own_thread_pool && threads.cores > 1 ? " (the BLAS's own pool runs the GEMMs on the cores)" : "");
    const std::string faster = faster_openblas_core(blas.core, cpu_vector_support());
    if (!blas.core_from_environment.empty() && !faster.empty()) {
      spdlog::warn("BLAS: OPENBLAS_CORETYPE={} holds OpenBLAS to its AVX2 kernels on this AVX-512 CPU; unset it to let "
                   "OpenBLAS pick its {} kernels (2048^3 sgemm: 235 -> 451 GFLOP/s on this project's AMD machine)",
                   blas.core_from_environment, faster);
    }
  }
}

/// Every `section.key = value` of a TOML document, for MLflow params.
void flatten(const toml::table& table, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& [key, node] : table) {
    const std::string name = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (const auto* sub = node.as_table()) {
      flatten(*sub, name, out);
    } else if (const auto* text = node.as_string()) {
      out.emplace_back(name, text->get());
    } else {
      std::ostringstream value;
      node.visit([&](const auto& v) { value << v; });
      out.emplace_back(name, value.str());
    }
  }
}

/// run.json: plugins and versions, the build's git revision, the MLflow run.
std::string run_info(const Pipeline& pipeline, const std::string& model_name, const PluginRegistry& registry,
                     const MlflowRun& mlflow) {
  std::ostringstream json;
  json << "  \"recsys_version\": " << json_string(RECSYS_VERSION) << ",\n"
       << "  \"git_revision\": " << (std::string(RECSYS_GIT_REVISION).empty() ? "null" : json_string(RECSYS_GIT_REVISION))
       << ",\n  \"plugin_api\": \"" << RECSYS_PLUGIN_API_MAJOR << "." << RECSYS_PLUGIN_API_MINOR << "\",\n"
       << "  \"mlflow_run\": " << json_string(fs::absolute(mlflow.directory()).lexically_normal().string()) << ",\n"
       << "  \"plugins\": [";
  std::vector<PluginRecord> used = pipeline.plugins;
  used.push_back(registry.find(PluginKind::model, model_name));
  for (std::size_t i = 0; i < used.size(); ++i) {
    json << (i ? ",\n" : "\n") << "    {\"kind\": " << json_string(to_string(used[i].kind))
         << ", \"name\": " << json_string(used[i].name) << ", \"version\": " << json_string(used[i].version)
         << ", \"path\": " << json_string(used[i].path) << "}";
  }
  json << "\n  ]";
  return json.str();
}

/// The value of `"key": "value"` in run.json ("" when absent).
std::string run_info_field(const fs::path& run_directory, const std::string& key) {
  std::ifstream in(run_directory / "run.json");
  std::stringstream text;
  text << in.rdbuf();
  const std::string json = text.str(), pattern = "\"" + key + "\": \"";
  const auto at = json.find(pattern);
  if (at == std::string::npos) return "";
  const auto begin = at + pattern.size();
  return json.substr(begin, json.find('"', begin) - begin);
}

}  // namespace

void discover_plugins(PluginRegistry& registry, const PipelineConfig& config) {
  const Config& plugins = config.section("plugins");
  for (const auto& directory : plugins.get_string_list("paths", {})) registry.scan_directory(directory);
  for (const auto& directory : default_plugin_directories()) registry.scan_directory(directory);
  for (const auto& library : registry.libraries()) {
    if (!library.ok) spdlog::warn("plugin library refused: {}: {}", library.path, library.error);
    else if (!library.error.empty()) spdlog::warn("plugin library {}: {}", library.path, library.error);
  }
}

Pipeline build_pipeline(const PipelineConfig& config, const PluginRegistry& registry) {
  Pipeline p;
  const Config& dataset_section = config.section("dataset");
  const Config& sampler_section = config.section("sampler");
  const Config& model_section = config.section("model");
  const Config& loss_section = config.section("loss");
  const Config& evaluation_section = config.section("evaluation");
  p.split = SplitOptions::from_config(config.section("split"));
  p.training = TrainerOptions::from_config(config.section("training"));
  p.logging = LoggingOptions::from_config(config.section("logging"));
  p.evaluation = EvaluationOptions::from_config(evaluation_section);
  p.distributed = DistributedOptions::from_config(config.section("distributed"));

  p.dataset_name = plugin_name(dataset_section, {"plugin"});
  p.dataset = create_plugin(dataset_section, "plugin",
                            [&] { return registry.create<PluginKind::dataset>(p.dataset_name, dataset_section); });
  p.sampler_name = sampler_section.get_string("plugin", "uniform");
  p.sampler = create_plugin(sampler_section, "plugin",
                            [&] { return registry.create<PluginKind::sampler>(p.sampler_name, sampler_section); });
  p.loss_name = loss_section.get_string("plugin", "mse");
  p.loss = create_plugin(loss_section, "plugin",
                         [&] { return registry.create<PluginKind::loss>(p.loss_name, loss_section); });
  p.plugins = {registry.find(PluginKind::dataset, p.dataset_name), registry.find(PluginKind::sampler, p.sampler_name),
               registry.find(PluginKind::loss, p.loss_name)};
  for (const auto& name : p.evaluation.metrics) {
    p.metrics.push_back({name, create_plugin(evaluation_section, "metrics",
                                             [&] { return create_metric(registry, name, config.source()); })});
    p.plugins.push_back(registry.find(PluginKind::metric, parse_metric_name(name).plugin));
  }
  p.early_stopping = EarlyStoppingOptions::from_config(config.section("early_stopping"), p.evaluation.metrics,
                                                       [&](const std::string& name) {
                                                         for (const auto& m : p.metrics) {
                                                           if (m.name == name) return m.metric->higher_is_better();
                                                         }
                                                         return true;
                                                       });
  p.model_name = plugin_name(model_section, kModelKeys);
  // The model is built after the data (it needs the schema), but its name is checked now.
  create_plugin(model_section, key_of(model_section, kModelKeys),
                [&] { return registry.find(PluginKind::model, p.model_name).factory; });
  for (const auto& name : pipeline_sections()) {
    if (name != "model") config.section(name).check_unknown_keys();
  }
  config.check_unknown_sections();
  p.protocol = describe_protocol(p.evaluation, p.split, p.sampler_name, sampler_section);
  return p;
}

LoadedPipeline load_pipeline(Pipeline& p, const PipelineConfig& config, const PluginRegistry& registry) {
  const auto start = std::chrono::steady_clock::now();
  InteractionData interactions = p.dataset->load();
  const FeatureSchema schema = interactions.schema;
  spdlog::info("dataset {}: {} users, {} items, {} positives ({:.2f} s)", p.dataset_name, schema.user.num_ids,
               schema.item.num_ids, interactions.num_interactions(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());

  torch::manual_seed(derive_seed(p.training.seed, static_cast<std::uint64_t>(SeedStream::model_init)));
  const Config& model_section = config.section("model");
  auto model = create_plugin(model_section, key_of(model_section, kModelKeys), [&] {
    return registry.create<PluginKind::model>(p.model_name, model_section, &schema);
  });
  model_section.check_unknown_keys();

  TrainingData data = prepare_training_data(std::move(interactions), p.split, p.evaluation, *p.sampler, p.training.seed);
  spdlog::info("split: {} train / {} validation / {} test positives; evaluation rows: {} validation in {} lists, "
               "{} test in {} lists",
               data.train_user_id.size(0), data.split.validation.size(0), data.split.test.size(0),
               data.validation->num_rows(), data.validation->num_lists(), data.test->num_rows(),
               data.test->num_lists());
  return {std::move(data), std::move(model)};
}

RunOutcome run_pipeline(const PipelineConfig& config, PluginRegistry& registry,
                        const std::optional<fs::path>& resume, const LaunchEnvironment& launch) {
  // Everything that does not need the data is built and checked first, so a bad config
  // fails before any file is read.
  Pipeline p = build_pipeline(config, registry);
  std::optional<RunDirectory> existing;
  if (resume) {
    existing = RunDirectory::open(*resume);
    if (!fs::exists(existing->checkpoint("last"))) {
      throw ConfigError(resume->string() + ": no checkpoint to resume from (checkpoints/last.pt)");
    }
  }
  std::shared_ptr<ProcessGroup> group;
  if (launch.distributed()) {
    group = ProcessGroup::connect(launch, p.distributed);
    spdlog::info("rank {} of {} connected ({} backend, rendezvous at {}:{})", launch.rank, launch.world_size,
                 p.distributed.backend, launch.master_addr, launch.master_port);
  }
  // Only rank 0 writes: the run directory, checkpoints, MLflow and the summary.
  const bool writer = launch.rank == 0;
  configure_runtime(p.training, launch);
  LoadedPipeline loaded = load_pipeline(p, config, registry);
  const TrainingData& data = loaded.data;
  spdlog::info("model {}:\n{}", p.model_name, model_summary(*loaded.model, p.model_name));
  spdlog::info("{}", p.protocol);

  RunOutcome outcome;
  outcome.num_users = data.interactions.schema.user.num_ids;
  outcome.num_items = data.interactions.schema.item.num_ids;
  outcome.num_positives = data.interactions.num_interactions();
  outcome.protocol = p.protocol;
  outcome.rank = launch.rank;
  outcome.world_size = launch.world_size;

  Trainer trainer(p.training, loaded.model, p.loss, p.sampler, p.metrics, p.early_stopping, group);
  const std::string resolved = config.resolved_toml();
  std::optional<RunDirectory> run;
  if (existing) run = *existing;
  else if (writer) run.emplace(p.logging, default_run_name(p.model_name));
  if (run) outcome.run_directory = run->path();
  if (writer) fs::create_directories(run->path() / "checkpoints");
  std::optional<MlflowRun> mlflow;

  if (resume) {
    // Every rank reads the checkpoints (the same files), so all continue from the same state.
    std::string saved_config;
    // The best epoch's weights first (kept in memory for the final test), then the last state.
    if (fs::exists(run->checkpoint("best"))) {
      load_checkpoint(run->checkpoint("best"), *loaded.model, nullptr, false);
    }
    std::vector<torch::Tensor> best = snapshot_state(*loaded.model);
    const TrainingProgress progress =
        load_checkpoint(run->checkpoint("last"), *loaded.model, &trainer.optimizer(), true, &saved_config);
    if (saved_config != resolved) {
      spdlog::warn("the pipeline differs from the one the checkpoint was written with; continuing with this one");
    }
    trainer.resume(progress, std::move(best));
    if (writer) {
      run->begin_metrics(p.evaluation.metrics, progress.epoch);
      const std::string mlflow_dir = run_info_field(run->path(), "mlflow_run");
      mlflow = MlflowRun::reopen(mlflow_dir);
    }
    spdlog::info("resuming {} after epoch {} (best epoch {})", run->path().string(), progress.epoch,
                 progress.best_epoch);
  } else if (writer) {
    run->write_config(resolved);
    mlflow = MlflowRun::create(fs::path(p.logging.output_dir) / "mlruns", p.logging.experiment_name,
                               run->path().filename().string());
    std::vector<std::pair<std::string, std::string>> params;
    flatten(toml::parse(resolved), "", params);
    for (const auto& [key, value] : params) mlflow->log_param(key, value);
    if (!std::string(RECSYS_GIT_REVISION).empty()) mlflow->set_tag("mlflow.source.git.commit", RECSYS_GIT_REVISION);
    mlflow->set_tag("recsys.run_directory", fs::absolute(run->path()).lexically_normal().string());
    run->write_run_info(run_info(p, p.model_name, registry, *mlflow));
    run->begin_metrics(p.evaluation.metrics);
    if (p.evaluation.protocol == Protocol::sampled) {
      // The candidates go with the run, so a later evaluation or another model can be checked
      // against exactly the same lists.
      run->write_candidates("validation", static_cast<const MaterializedSet&>(*data.validation), data.interactions);
      run->write_candidates("test", static_cast<const MaterializedSet&>(*data.test), data.interactions);
    }
  }
  if (writer) spdlog::info("run directory {}", run->path().string());

  try {
    outcome.result = trainer.fit(data, [&](const EpochResult& epoch, bool improved) {
      const double wait = 100.0 * epoch.data_wait_seconds / std::max(1e-9, epoch.train_seconds);
      spdlog::info("epoch {}/{}: train loss {:.5f}, {:.1f}k samples/s, waiting for data {:.1f}%{}{}", epoch.epoch,
                   p.training.epochs, epoch.train_loss, epoch.samples_per_second / 1000.0, wait,
                   epoch.validated ? " | validation " : "", epoch.validated ? metrics_line(epoch.validation) : "");
      if (!writer) return;
      run->append_metrics(epoch);
      mlflow->log_metric("train_loss", epoch.train_loss, epoch.epoch);
      if (epoch.validated) {
        mlflow->log_metric("validation_loss", epoch.validation.loss, epoch.epoch);
        for (const auto& [name, value] : epoch.validation.metrics) mlflow->log_metric("validation_" + name, value, epoch.epoch);
      }
      // best.pt before last.pt: a crash in between resumes from the older last.pt, whose best is still on disk.
      const std::string checkpoint =
          serialize_checkpoint(*loaded.model, &trainer.optimizer(), trainer.progress(), resolved);
      if (improved) write_file_atomically(run->checkpoint("best"), checkpoint);
      write_file_atomically(run->checkpoint("last"), checkpoint);
    });
  } catch (...) {
    if (mlflow) mlflow->set_status(MlflowStatus::failed);
    throw;
  }
  spdlog::info("test (epoch {}): {}", outcome.result.best_epoch, metrics_line(outcome.result.test));
  if (!writer) return outcome;
  for (const auto& [name, value] : outcome.result.test.metrics) {
    mlflow->log_metric("test_" + name, value, outcome.result.best_epoch);
  }
  mlflow->log_metric("test_loss", outcome.result.test.loss, outcome.result.best_epoch);
  mlflow->set_status(MlflowStatus::finished);
  run->write_summary(outcome.result, p.protocol);
  return outcome;
}

namespace {

/// A finished run, rebuilt from its resolved config: the pipeline, data and model.
struct OpenedRun {
  std::unique_ptr<PipelineConfig> config;
  PluginRegistry registry;
  Pipeline pipeline;
  std::unique_ptr<LoadedPipeline> loaded;
  RunDirectory directory;
};

OpenedRun open_run(const fs::path& run_directory, const std::string& checkpoint, std::int64_t* epoch) {
  RunDirectory directory = RunDirectory::open(run_directory);
  if (checkpoint != "best" && checkpoint != "last") {
    throw ConfigError("--checkpoint " + checkpoint + ": expected best or last");
  }
  if (!fs::exists(directory.checkpoint(checkpoint))) {
    throw ConfigError(directory.checkpoint(checkpoint).string() + ": no such checkpoint");
  }
  auto config = std::make_unique<PipelineConfig>(PipelineConfig::load(directory.config_file()));
  PluginRegistry registry;
  discover_plugins(registry, *config);
  Pipeline pipeline = build_pipeline(*config, registry);
  configure_threads(static_cast<int>(pipeline.training.threads));
  auto loaded = std::make_unique<LoadedPipeline>(load_pipeline(pipeline, *config, registry));
  const TrainingProgress progress = load_checkpoint(directory.checkpoint(checkpoint), *loaded->model, nullptr, false);
  if (epoch) *epoch = progress.epoch;
  loaded->model->eval();
  return {std::move(config), std::move(registry), std::move(pipeline), std::move(loaded), std::move(directory)};
}

}  // namespace

EvaluateOutcome evaluate_run(const fs::path& run_directory, const std::string& split, const std::string& checkpoint) {
  if (split != "test" && split != "validation") throw ConfigError("--split " + split + ": expected test or validation");
  EvaluateOutcome outcome;
  OpenedRun run = open_run(run_directory, checkpoint, &outcome.epoch);
  const Pipeline& p = run.pipeline;
  Trainer trainer(p.training, run.loaded->model, p.loss, p.sampler, p.metrics, p.early_stopping);
  const TrainingData& data = run.loaded->data;
  outcome.evaluation = trainer.evaluate(split == "test" ? *data.test : *data.validation, data);
  outcome.protocol = p.protocol;
  return outcome;
}

std::vector<Recommendation> recommend(const fs::path& run_directory, std::int64_t user, std::int64_t k) {
  if (k < 1) throw ConfigError("--k " + std::to_string(k) + ": must be at least 1");
  OpenedRun run = open_run(run_directory, "best", nullptr);
  const TrainingData& data = run.loaded->data;
  const InteractionData& d = data.interactions;
  const auto found = std::find(d.user_original_id.begin(), d.user_original_id.end(), user);
  if (found == d.user_original_id.end()) {
    throw ConfigError("--user " + std::to_string(user) + ": no such user among the run's " +
                      std::to_string(d.user_original_id.size()) + " users (original ids of the dataset)");
  }
  const std::int64_t u = found - d.user_original_id.begin(), items = d.schema.item.num_ids;
  torch::NoGradGuard no_grad;
  Examples all{torch::full({items}, u, torch::kInt64), torch::arange(items, torch::kInt64), torch::zeros({items})};
  Batch batch = make_batch(all, torch::arange(items, torch::kInt64), d.user_features, d.item_features);
  torch::Tensor scores = run.loaded->model->forward(batch).to(torch::kFloat64);
  // Items the user already has a positive with (in any split) are not recommended.
  scores.masked_fill_(data.positives.contains(all.user_id, all.item_id), -std::numeric_limits<double>::infinity());
  const std::int64_t candidates = items - data.positives.positives_per_user()[u].item<std::int64_t>();
  const auto top = scores.topk(std::min(k, candidates));
  std::vector<Recommendation> out;
  for (std::int64_t r = 0; r < std::get<1>(top).size(0); ++r) {
    const std::int64_t item = std::get<1>(top)[r].item<std::int64_t>();
    out.push_back({d.item_original_id[item], item < static_cast<std::int64_t>(d.item_title.size()) ? d.item_title[item] : "",
                   std::get<0>(top)[r].item<double>()});
  }
  return out;
}

}  // namespace recsys::core
