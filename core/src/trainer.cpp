#include "recsys/core/trainer.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <csignal>
#include <future>
#include <limits>
#include <optional>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "recsys/core/progress.hpp"
#include "recsys/core/seed.hpp"
#include "recsys/core/stop.hpp"
#include "recsys/errors.hpp"

namespace recsys::core {

namespace {

// Upper bounds of the [training] sizes: past them a run cannot hold its buffers (a batch's
// examples, a thread per core), so they are config errors rather than allocator failures.
constexpr std::int64_t kMaxEpochs = 1'000'000;
constexpr std::int64_t kMaxBatch = std::int64_t{1} << 26;  // 67M examples a batch
constexpr std::int64_t kMaxThreads = 4096;

}  // namespace

TrainerOptions TrainerOptions::from_config(const Config& config) {
  TrainerOptions o;
  o.epochs = config.get_int_in("epochs", o.epochs, 1, kMaxEpochs);
  o.batch_size = config.get_int_in("batch_size", o.batch_size, 1, kMaxBatch);
  o.micro_batch_size = config.get_int_in("micro_batch_size", o.micro_batch_size, 0, kMaxBatch);  // 0: whole batch
  o.learning_rate = config.get_positive_double("learning_rate", o.learning_rate);
  o.optimizer = config.get_string("optimizer", o.optimizer);
  for (auto& c : o.optimizer) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (o.optimizer != "adam" && o.optimizer != "adamw" && o.optimizer != "sgd" && o.optimizer != "adagrad") {
    config.fail("optimizer", "unknown optimizer '" + o.optimizer + "' (available: adam, adamw, sgd, adagrad)");
  }
  o.weight_decay = config.get_double("weight_decay", o.weight_decay);  // finite: Config refuses nan and inf
  if (o.weight_decay < 0.0) config.fail("weight_decay", "must not be negative");
  o.sparse_optimizer = config.get_string("sparse_optimizer", o.sparse_optimizer);
  if (o.sparse_optimizer != "none") {
    try {
      parse_sparse_rule(o.sparse_optimizer);
    } catch (const std::invalid_argument& e) {
      config.fail("sparse_optimizer", e.what());
    }
  }
  o.sparse_learning_rate = config.get_double_in("sparse_learning_rate", o.sparse_learning_rate, 0.0, 1e6);
  const std::int64_t seed = config.get_int("seed", static_cast<std::int64_t>(o.seed));
  if (seed < 0) config.fail("seed", "must not be negative");
  o.seed = static_cast<std::uint64_t>(seed);
  o.device = config.get_string("device", o.device);
  std::optional<torch::Device> device;
  try {
    device = torch::Device(o.device);
  } catch (const std::exception&) {
    config.fail("device", "unknown device '" + o.device + "' (expected \"cpu\", \"cuda\" or \"cuda:N\")");
  }
  if (device->is_cuda()) {
    if (!torch::cuda::is_available()) {
      config.fail("device", "'" + o.device +
                                "' requested, but this libtorch build has no CUDA (Debian's libtorch-dev is "
                                "CPU-only) or no GPU is visible; use \"cpu\"");
    }
    if (device->has_index() && device->index() >= static_cast<int>(torch::cuda::device_count())) {
      config.fail("device", "'" + o.device + "': this machine has " + std::to_string(torch::cuda::device_count()) +
                                " CUDA device(s)");
    }
  } else if (!device->is_cpu()) {
    config.fail("device", "unsupported device '" + o.device + "' (expected \"cpu\", \"cuda\" or \"cuda:N\")");
  }
  o.threads = config.get_int_in("threads", o.threads, 0, kMaxThreads);  // 0: one per core
  o.eval_batch_size = config.get_int_in("eval_batch_size", o.eval_batch_size, 1, kMaxBatch);
  o.prefetch = config.get_bool("prefetch", o.prefetch);
  o.eval_every = config.get_int_in("eval_every", o.eval_every, 1, kMaxEpochs);
  return o;
}

EarlyStoppingOptions EarlyStoppingOptions::from_config(
    const Config& config, const std::vector<std::string>& metric_names,
    const std::function<bool(const std::string&)>& higher_is_better) {
  EarlyStoppingOptions o;
  o.monitor = config.get_string("monitor", metric_names.empty() ? std::string("loss") : metric_names.front());
  if (o.monitor != "loss" && std::find(metric_names.begin(), metric_names.end(), o.monitor) == metric_names.end()) {
    std::string list;
    for (const auto& n : metric_names) list += (list.empty() ? "" : ", ") + n;
    config.fail("monitor", "'" + o.monitor + "' is not one of evaluation.metrics (" + list + ") nor \"loss\"");
  }
  const bool natural = o.monitor == "loss" ? false : higher_is_better(o.monitor);
  const std::string direction = config.get_string("direction", natural ? "max" : "min");
  if (direction != "max" && direction != "min") config.fail("direction", "must be \"max\" or \"min\"");
  o.maximize = direction == "max";
  o.patience = config.get_int_in("patience", o.patience, 0, kMaxEpochs);  // 0: never stop early
  o.min_delta = config.get_double("min_delta", o.min_delta);
  if (o.min_delta < 0.0) config.fail("min_delta", "must not be negative");
  return o;
}

double Evaluation::metric(const std::string& name) const {
  for (const auto& [n, value] : metrics) {
    if (n == name) return value;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

namespace {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainerOptions& o,
                                                        std::vector<torch::Tensor> parameters) {
  using namespace torch::optim;
  if (o.optimizer == "adamw") {
    return std::make_unique<AdamW>(parameters, AdamWOptions(o.learning_rate).weight_decay(o.weight_decay));
  }
  if (o.optimizer == "sgd") {
    return std::make_unique<SGD>(parameters, SGDOptions(o.learning_rate).weight_decay(o.weight_decay));
  }
  if (o.optimizer == "adagrad") {
    return std::make_unique<Adagrad>(parameters, AdagradOptions(o.learning_rate).weight_decay(o.weight_decay));
  }
  return std::make_unique<Adam>(parameters, AdamOptions(o.learning_rate).weight_decay(o.weight_decay));
}

/// The weights of the model's embedding modules (torch::nn::Embedding, which
/// recsys::nn::Embedding and FieldEmbedding's tables are), switched to sparse gradients, and the
/// other parameters.
std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> split_embedding_tables(torch::nn::Module& model) {
  std::vector<torch::Tensor> tables, dense;
  std::set<const void*> table_ids;
  for (const auto& module : model.modules()) {
    auto* embedding = dynamic_cast<torch::nn::EmbeddingImpl*>(module.get());
    if (embedding == nullptr || table_ids.count(embedding->weight.unsafeGetTensorImpl()) > 0) continue;
    embedding->options.sparse(true);
    tables.push_back(embedding->weight);
    table_ids.insert(embedding->weight.unsafeGetTensorImpl());
  }
  for (const auto& p : model.parameters()) {
    if (table_ids.count(p.unsafeGetTensorImpl()) == 0) dense.push_back(p);
  }
  return {tables, dense};
}

/// float32 [rows]: 1 for each row `table`'s gradient touches (every row of a dense gradient).
torch::Tensor touched_rows(const torch::Tensor& table) {
  const torch::Tensor& grad = table.grad();
  torch::Tensor mask = torch::zeros({table.size(0)}, table.options().requires_grad(false));
  if (!grad.defined()) return mask;
  if (!grad.is_sparse()) return mask.fill_(1.0);
  return mask.index_fill_(0, grad._indices()[0], 1.0);
}

std::int64_t rows_of(const std::vector<torch::Tensor>& tables) {
  std::int64_t rows = 0;
  for (const auto& t : tables) rows += t.size(0);
  return rows;
}

}  // namespace

std::vector<torch::Tensor> snapshot_state(const torch::nn::Module& model) {
  std::vector<torch::Tensor> state;
  for (const auto& p : model.parameters()) state.push_back(p.detach().clone());
  for (const auto& b : model.buffers()) state.push_back(b.detach().clone());
  return state;
}

namespace {

void restore(torch::nn::Module& model, const std::vector<torch::Tensor>& state) {
  torch::NoGradGuard no_grad;
  std::size_t i = 0;
  for (auto& p : model.parameters()) p.copy_(state[i++]);
  for (auto& b : model.buffers()) b.copy_(state[i++]);
}

}  // namespace

Trainer::Trainer(TrainerOptions options, std::shared_ptr<Model> model, std::shared_ptr<Loss> loss,
                 std::shared_ptr<Sampler> sampler, std::vector<NamedMetric> metrics,
                 EarlyStoppingOptions early_stopping, std::shared_ptr<ProcessGroup> group)
    : options_(std::move(options)),
      model_(std::move(model)),
      loss_(std::move(loss)),
      sampler_(std::move(sampler)),
      metrics_(std::move(metrics)),
      early_stopping_(std::move(early_stopping)),
      group_(group && group->world_size() > 1 ? std::move(group) : nullptr),
      device_(options_.device) {
  // The model moves once, before the optimizer takes its parameters.
  model_->to(device_);
  if (group_) group_->broadcast_module(*model_);
  if (options_.sparse_optimizer == "none") {
    optimizer_ = make_optimizer(options_, model_->parameters());
    return;
  }
  auto [tables, dense] = split_embedding_tables(*model_);
  optimizer_ = make_optimizer(options_, dense);
  SparseOptimizerOptions sparse;
  sparse.rule = parse_sparse_rule(options_.sparse_optimizer);
  sparse.learning_rate = options_.sparse_learning_rate > 0.0 ? options_.sparse_learning_rate : options_.learning_rate;
  sparse.weight_decay = options_.weight_decay;
  spdlog::info("{} embedding tables ({} rows) take the sparse {} (rate {}); {} other parameter tensors take {}",
               tables.size(), rows_of(tables), options_.sparse_optimizer, sparse.learning_rate, dense.size(),
               options_.optimizer);
  sparse_optimizer_ = std::make_unique<SparseOptimizer>(std::move(tables), sparse);
}

namespace {

SideFeatures features_to(const SideFeatures& f, const torch::Device& device) {
  SideFeatures out{f.continuous.defined() ? f.continuous.to(device) : f.continuous,
                   f.categorical.defined() ? f.categorical.to(device) : f.categorical,
                   {}};
  for (const JaggedCodes& field : f.multi_categorical) {
    out.multi_categorical.push_back({field.values.to(device), field.offsets.to(device)});
  }
  return out;
}

}  // namespace

Trainer::Features Trainer::features(const TrainingData& data) {
  const InteractionData& d = data.interactions;
  if (device_.is_cpu()) return {&d.user_features, &d.item_features, &d.context_features};
  if (features_of_ != &data) {
    device_users_ = features_to(d.user_features, device_);
    device_items_ = features_to(d.item_features, device_);
    device_context_ = features_to(d.context_features, device_);
    features_of_ = &data;
  }
  return {&device_users_, &device_items_, &device_context_};
}

Batch Trainer::batch_of(const Examples& examples, const torch::Tensor& rows, const TrainingData& data) {
  const Features f = features(data);
  return make_batch(examples, rows, *f.users, *f.items, *f.context);
}

namespace {

/// The device copy of `examples` (the same tensors on the CPU).
Examples to_device(const Examples& examples, const torch::Device& device) {
  if (device.is_cpu()) return examples;
  Examples out = examples;
  for (torch::Tensor* t : {&out.user_id, &out.item_id, &out.label, &out.row, &out.log_q}) {
    if (t->defined()) *t = t->to(device);
  }
  return out;
}

}  // namespace

Batch Trainer::vectors_batch(const torch::Tensor& users, const torch::Tensor& items, const TrainingData& data) {
  const std::int64_t n = users.size(0);
  // A factorised model reads no context; any interaction row satisfies make_batch.
  Examples rows{users, items, torch::zeros({n}, torch::dtype(torch::kFloat32).device(device_)),
                torch::zeros({n}, torch::dtype(torch::kInt64).device(device_))};
  return batch_of(rows, torch::arange(n, torch::dtype(torch::kInt64).device(device_)), data);
}

torch::Tensor Trainer::score_factorized(const Examples& examples, const TrainingData& data) {
  const auto [users, user_index] = torch::_unique(examples.user_id, /*sorted=*/true, /*return_inverse=*/true);
  const auto [items, item_index] = torch::_unique(examples.item_id, true, true);
  if (!factors_.users.defined()) {
    // Every user's and item's vector once per evaluation (the weights do not change during
    // one), not once per chunk: LightGCN's cost one propagation of the graph each.
    const auto ids = [&](std::int64_t n) { return torch::arange(n, torch::dtype(torch::kInt64).device(device_)); };
    const torch::Tensor all_users = ids(data.interactions.schema.user.num_ids);
    const torch::Tensor all_items = ids(data.interactions.schema.item.num_ids);
    factors_.users = model_->user_vectors(vectors_batch(all_users, torch::zeros_like(all_users), data));
    factors_.items = model_->item_vectors(vectors_batch(torch::zeros_like(all_items), all_items, data));
  }
  const torch::Tensor user_vectors = factors_.users.index_select(0, users);
  const torch::Tensor item_vectors = factors_.items.index_select(0, items);
  // A block of users against the items (full ranking: every item) in one matrix product,
  // unless the rows are a small part of that block (sampled lists over a large catalogue).
  if (users.size(0) * items.size(0) <= 4 * examples.size()) {
    return torch::mm(user_vectors, item_vectors.t()).index({user_index, item_index}).to(torch::kCPU, torch::kFloat32);
  }
  return (user_vectors.index_select(0, user_index) * item_vectors.index_select(0, item_index))
      .sum(1)
      .to(torch::kCPU, torch::kFloat32);
}

torch::Tensor Trainer::score_chunk(const Examples& examples, const TrainingData& data) {
  const Examples on_device = to_device(examples, device_);
  if (model_->factorized()) return score_factorized(on_device, data);
  Batch batch = batch_of(on_device, torch::arange(examples.size(), torch::dtype(torch::kInt64).device(device_)), data);
  return model_->forward(batch).to(torch::kCPU, torch::kFloat32);
}

torch::Tensor Trainer::score(const EvaluationSet& set, const TrainingData& data) {
  const int ranks = group_->world_size(), rank = group_->rank();
  std::vector<torch::Tensor> mine;
  std::vector<std::int64_t> chunk_rows, rows_of_rank(static_cast<std::size_t>(ranks), 0);
  set.for_each_chunk(options_.eval_batch_size, [&](const Examples& examples, const torch::Tensor&) {
    const auto owner = static_cast<int>(chunk_rows.size() % static_cast<std::size_t>(ranks));
    chunk_rows.push_back(examples.size());
    rows_of_rank[static_cast<std::size_t>(owner)] += examples.size();
    if (owner == rank) mine.push_back(score_chunk(examples, data));
  });
  const torch::Tensor local = mine.empty() ? torch::empty({0}, torch::kFloat32) : torch::cat(mine);
  // all_gather puts rank 0's rows first; put them back in chunk order.
  const torch::Tensor gathered = group_->all_gather(local, rows_of_rank);
  std::vector<std::int64_t> offset_of_rank(static_cast<std::size_t>(ranks), 0);
  for (int r = 1; r < ranks; ++r) offset_of_rank[r] = offset_of_rank[r - 1] + rows_of_rank[r - 1];
  std::vector<torch::Tensor> ordered;
  for (std::size_t c = 0; c < chunk_rows.size(); ++c) {
    std::int64_t& offset = offset_of_rank[c % static_cast<std::size_t>(ranks)];
    ordered.push_back(gathered.slice(0, offset, offset + chunk_rows[c]));
    offset += chunk_rows[c];
  }
  return ordered.empty() ? local : torch::cat(ordered);
}

Evaluation Trainer::evaluate(const EvaluationSet& set, const TrainingData& data, const std::string& label) {
  torch::NoGradGuard no_grad;
  const auto start = std::chrono::steady_clock::now();
  const bool was_training = model_->is_training();
  model_->eval();
  factors_ = {};
  for (auto& m : metrics_) m.metric->reset();
  double loss_sum = 0.0;
  std::int64_t rows = 0;
  ProgressBar bar(label, set.num_rows(), !group_ || group_->rank() == 0 ? stderr : nullptr, 0, "rows");
  // Loss and metrics on the CPU, chunk by chunk in the set's order: the same sums in the
  // same order whether one process or several scored the rows.
  const auto consume = [&](const Examples& examples, const torch::Tensor& group, const torch::Tensor& logits) {
    const std::int64_t n = examples.size();
    // A grouped loss has no value on evaluation lists (no positive with its own negatives).
    if (loss_scores_lists()) {
      Batch rows{examples.user_id, examples.item_id, examples.label};
      loss_sum += loss_->forward(logits, rows).item<double>() * static_cast<double>(n);
    }
    rows += n;
    for (auto& m : metrics_) m.metric->update(logits, examples.label, group);
    bar.update(rows);
  };
  if (group_) {
    // Ranks gather the scores together, so none may leave early: a stop waits for the next batch.
    const torch::Tensor scores = score(set, data);
    set.for_each_chunk(options_.eval_batch_size, [&](const Examples& examples, const torch::Tensor& group) {
      consume(examples, group, scores.slice(0, rows, rows + examples.size()));
    });
  } else {
    // One process streams: no chunk's scores outlive it (the full protocol has users x items rows).
    set.for_each_chunk(options_.eval_batch_size, [&](const Examples& examples, const torch::Tensor& group) {
      throw_if_stop_requested("during " + label);
      consume(examples, group, score_chunk(examples, data));
    });
  }
  bar.finish();
  Evaluation evaluation;
  evaluation.loss = rows > 0 && loss_scores_lists() ? loss_sum / static_cast<double>(rows) : std::nan("");
  for (auto& m : metrics_) evaluation.metrics.emplace_back(m.name, m.metric->compute());
  evaluation.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  factors_ = {};
  model_->train(was_training);
  return evaluation;
}

namespace {

/// A random order of the examples: of whole groups, kept in order, for a grouped loss.
torch::Tensor shuffled_order(const Examples& examples, bool grouped, at::Generator& generator) {
  if (!grouped && examples.hard_negatives > 0) {
    throw Error(
        "hard negatives are chosen within each positive's group: use a loss that compares a positive "
        "with its negatives ([loss] plugin = \"bpr\" or \"softmax\")");
  }
  if (!grouped) return torch::randperm(examples.size(), generator, torch::kInt64);
  const std::int64_t g = examples.group_size;
  if (g < 2 || examples.size() % g != 0) {
    throw Error("the loss compares each positive with its negatives, but the sampler drew groups of " +
                std::to_string(g) + " rows; use a sampler that draws negatives ([sampler] num_negatives >= 1)");
  }
  const torch::Tensor groups = torch::randperm(examples.size() / g, generator, torch::kInt64);
  return (groups.unsqueeze(1) * g + torch::arange(g, torch::kInt64)).reshape(-1);
}

/// One epoch's negatives and order, from the epoch's own stream: reproducible from the seed,
/// whichever thread draws them. Takes its inputs by value, so a draw left running by a stop
/// owns everything it reads.
Trainer::EpochData draw_epoch(std::shared_ptr<Sampler> sampler, TrainingRows train, PositiveSet positives,
                              std::uint64_t seed, std::int64_t epoch, bool grouped) {
  at::Generator generator = make_generator(seed, SeedStream::train_epoch, static_cast<std::uint64_t>(epoch));
  Trainer::EpochData drawn;
  if (sampler) {
    drawn.examples = sampler->sample(train.user_id, train.item_id, positives, generator);
  } else {
    // Labelled data: its own rows and labels, no sampled negatives; implicit data under a loss
    // that takes its negatives from the batch or the catalogue: the positives alone.
    const torch::Tensor label =
        train.label.defined() ? train.label : torch::ones({train.user_id.size(0)}, torch::kFloat32);
    drawn.examples = {train.user_id, train.item_id, label, torch::arange(train.user_id.size(0), torch::kInt64)};
  }
  // The sampler's row is the index of the example's positive among the training rows.
  drawn.examples.row = train.with_context ? train.rows.index_select(0, drawn.examples.row) : torch::Tensor();
  drawn.order = shuffled_order(drawn.examples, grouped, generator);
  return drawn;
}

}  // namespace

Trainer::EpochData Trainer::draw_epoch_now(const TrainingData& data, std::int64_t epoch) const {
  return draw_epoch(sampler_, data.training_rows(), data.negatives_exclude(), options_.seed, epoch, loss_->grouped());
}

void Trainer::start_drawing(const TrainingData& data, std::int64_t epoch) {
  std::packaged_task<EpochData()> task(
      [sampler = sampler_, train = data.training_rows(), positives = data.negatives_exclude(), seed = options_.seed,
       epoch, grouped = loss_->grouped()] { return draw_epoch(sampler, train, positives, seed, epoch, grouped); });
  next_epoch_ = epoch;
  next_epoch_data_ = task.get_future();
  drawer_ = std::thread(std::move(task));
}

Trainer::~Trainer() {
  if (!drawer_.joinable()) return;
  // A stop must not wait for the next epoch's draw (seconds on a large catalogue): the thread
  // owns its inputs and the plugin libraries stay loaded, so it can be left to finish.
  if (stop_requested()) {
    drawer_.detach();
  } else {
    drawer_.join();
  }
}

Trainer::EpochData Trainer::take_epoch(const TrainingData& data, std::int64_t epoch) {
  // The epoch's examples were drawn in the background while the previous epoch trained; only
  // the first epoch (or a skipped one) draws them here.
  EpochData drawn;
  if (drawer_.joinable()) {
    drawer_.join();
    drawn = next_epoch_ == epoch ? next_epoch_data_.get() : draw_epoch_now(data, epoch);
  } else {
    drawn = draw_epoch_now(data, epoch);
  }
  if (options_.prefetch && epoch < options_.epochs) start_drawing(data, epoch + 1);
  drawn.examples = to_device(drawn.examples, device_);
  drawn.order = drawn.order.to(device_);
  return drawn;
}

double Trainer::train_batch(const EpochData& epoch, const TrainingData& data, std::int64_t begin, std::int64_t end,
                            bool& stop) {
  // Under data parallelism this rank trains its contiguous share of the global batch
  // [begin, end) (sizes differ by at most one row).
  // Shares and passes are counted in units: rows, or whole groups for a grouped loss.
  const std::int64_t unit = loss_->grouped() ? epoch.examples.group_size : 1;
  const std::int64_t ranks = group_ ? group_->world_size() : 1, rank = group_ ? group_->rank() : 0;
  const std::int64_t global_units = (end - begin) / unit, base = global_units / ranks, extra = global_units % ranks;
  const std::int64_t share_begin = begin + (rank * base + std::min(rank, extra)) * unit;
  const std::int64_t share_rows = (base + (rank < extra ? 1 : 0)) * unit;
  optimizer_->zero_grad();
  if (sparse_optimizer_) sparse_optimizer_->zero_grad();
  double loss_value = 0.0;
  // The share in passes of at most micro_batch_size rows: the loss is a mean over rows (or
  // groups), so each pass's loss weighted by rows / share_rows sums to the share's gradient.
  const std::int64_t pass_rows =
      options_.micro_batch_size > 0 ? std::max<std::int64_t>(1, options_.micro_batch_size / unit) * unit : share_rows;
  for (std::int64_t pass_begin = 0; pass_begin < share_rows; pass_begin += pass_rows) {
    const std::int64_t rows = std::min(pass_rows, share_rows - pass_begin);
    const torch::Tensor selected = epoch.order.slice(0, share_begin + pass_begin, share_begin + pass_begin + rows);
    Batch batch = training_batch(epoch.examples, selected, data, unit);
    torch::Tensor loss = loss_->forward(loss_logits(batch, data), batch);
    if (torch::Tensor penalty = model_->regularization(batch); penalty.defined()) loss = loss + penalty;
    if (rows < share_rows) loss = loss * (static_cast<double>(rows) / static_cast<double>(share_rows));
    loss_value += loss.item<double>();
    loss.backward();
  }
  if (group_) {
    // Sparse table gradients are reduced dense; which rows any rank touched rides along as
    // one extra float per row, so the sparse rule then updates exactly those rows.
    std::vector<torch::Tensor> reduced = model_->parameters(), touched;
    if (sparse_optimizer_) {
      for (const torch::Tensor& table : sparse_optimizer_->tables()) {
        torch::Tensor mask = torch::zeros({table.size(0)}, table.options().requires_grad(false));
        mask.mutable_grad() = touched_rows(table);
        touched.push_back(mask);
        reduced.push_back(mask);
      }
    }
    loss_value = group_->all_reduce_gradients(
        reduced, static_cast<double>(share_rows) / static_cast<double>(end - begin), loss_value, &stop);
    if (sparse_optimizer_) restore_sparse_gradients(touched);
  }
  return loss_value;
}

void Trainer::restore_sparse_gradients(const std::vector<torch::Tensor>& touched) {
  const std::vector<torch::Tensor>& tables = sparse_optimizer_->tables();
  for (std::size_t t = 0; t < tables.size(); ++t) {
    const torch::Tensor rows = touched[t].grad().gt(0).nonzero().view({-1});
    torch::Tensor table = tables[t];
    const torch::Tensor dense = table.grad();
    table.mutable_grad() =
        torch::sparse_coo_tensor(rows.unsqueeze(0), dense.index_select(0, rows), table.sizes()).coalesce();
  }
}

Batch Trainer::training_batch(const Examples& examples, const torch::Tensor& rows, const TrainingData& data,
                              std::int64_t group_size) {
  if (examples.hard_negatives <= 0 || group_size < 2) {
    Batch batch = batch_of(examples, rows, data);
    batch.group_size = group_size;
    return batch;
  }
  // Dynamic negative sampling: the model, in eval mode, scores each group's candidates and
  // the hard_negatives highest stay, after their positive.
  const std::int64_t keep = std::min(examples.hard_negatives, group_size - 1);
  torch::Tensor chosen;
  {
    torch::NoGradGuard no_grad;
    const bool was_training = model_->is_training();
    model_->eval();
    const torch::Tensor scores = model_->forward(batch_of(examples, rows, data)).view({-1, group_size}).slice(1, 1);
    model_->train(was_training);
    const torch::Tensor groups = rows.view({-1, group_size});
    const torch::Tensor hardest = std::get<1>(scores.topk(keep, 1)) + 1;
    chosen = torch::cat({groups.slice(1, 0, 1), groups.gather(1, hardest)}, 1).reshape(-1);
  }
  Batch batch = batch_of(examples, chosen, data);
  batch.group_size = keep + 1;
  return batch;
}

torch::Tensor Trainer::loss_logits(Batch& batch, const TrainingData& data) {
  const LossScores scores = loss_->scores();
  if (scores == LossScores::rows) return model_->forward(batch);
  const torch::Tensor users = model_->user_vectors(batch);
  if (scores == LossScores::catalogue) {
    const torch::Tensor all_items = torch::arange(data.interactions.schema.item.num_ids, batch.item_id.options());
    return torch::mm(users, model_->item_vectors(vectors_batch(torch::zeros_like(all_items), all_items, data)).t());
  }
  if (!in_batch_) {
    const std::int64_t num_items = data.interactions.schema.item.num_ids;
    in_batch_ = InBatchTables{
        UserPositives::from_pairs(data.train_user_id, data.train_item_id, data.interactions.schema.user.num_ids),
        log_item_frequency(data.train_item_id, num_items).to(device_)};
  }
  batch.log_q = in_batch_->log_frequency.index_select(0, batch.item_id);
  batch.accidental_hits = accidental_hits(in_batch_->positives, batch.user_id.cpu(), batch.item_id.cpu(),
                                          data.interactions.schema.item.num_ids)
                              .to(device_);
  return torch::mm(users, model_->item_vectors(batch).t());
}

bool Trainer::loss_scores_lists() const {
  return !loss_->grouped() && loss_->scores() == LossScores::rows;
}

void Trainer::reseed_rank(std::int64_t epoch, std::int64_t batch) const {
  // Rank 0 continues the process's generator (as one process would, and restored from the
  // checkpoint); the others draw their dropout masks from their own stream per batch, so no
  // two ranks share a mask and a run resumed in mid-epoch draws the same masks.
  if (!group_ || group_->rank() == 0) return;
  const std::uint64_t stream = static_cast<std::uint64_t>(SeedStream::rank_epoch) +
                               static_cast<std::uint64_t>(group_->rank()) * 1000000u +
                               static_cast<std::uint64_t>(epoch);
  torch::manual_seed(derive_seed(derive_seed(options_.seed, stream), static_cast<std::uint64_t>(batch)));
}

std::string Trainer::batch_postfix(const std::chrono::steady_clock::time_point& start, std::int64_t samples) const {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double loss =
      progress_.epoch_loss_sum / static_cast<double>(std::max<std::int64_t>(1, progress_.epoch_samples));
  return fmt::format("loss={:.5f}, {:.1f}k samples/s", loss,
                     static_cast<double>(samples) / std::max(1e-9, seconds) / 1000.0);
}

std::int64_t Trainer::train_batches(const EpochData& drawn, const TrainingData& data, std::int64_t epoch,
                                    std::int64_t num_batches) {
  const std::int64_t n = drawn.examples.size(), first = progress_.next_batch;
  const auto start = std::chrono::steady_clock::now();
  ProgressBar bar("epoch " + std::to_string(epoch) + "/" + std::to_string(options_.epochs), num_batches,
                  !group_ || group_->rank() == 0 ? stderr : nullptr, first);
  std::int64_t samples = 0;  // in this process
  const std::int64_t batch_rows = rows_per_batch(drawn.examples);
  for (std::int64_t b = first; b < num_batches; ++b) {
    const std::int64_t begin = b * batch_rows, end = std::min(n, (b + 1) * batch_rows);
    reseed_rank(epoch, b);
    bool stop = stop_requested();  // under data parallelism: whether any rank was asked
    const double loss_value = train_batch(drawn, data, begin, end, stop);
    if (!std::isfinite(loss_value)) {
      throw Error("epoch " + std::to_string(epoch) + ", batch " + std::to_string(b + 1) + " of " +
                  std::to_string(num_batches) + ": the training loss is " + std::to_string(loss_value) +
                  "; stopping (the last checkpoint is the last good state; try a lower training.learning_rate)");
    }
    optimizer_->step();
    if (sparse_optimizer_) sparse_optimizer_->step();
    progress_.next_batch = b + 1;
    progress_.epoch_loss_sum += loss_value * static_cast<double>(end - begin);
    progress_.epoch_samples += end - begin;
    samples += end - begin;
    bar.update(b + 1, batch_postfix(start, samples));
    if (stop) {
      bar.finish();
      // A rank told by another rank's request stops with the conventional SIGTERM.
      throw Interrupted(stop_requested() ? stop_signal() : SIGTERM, "in epoch " + std::to_string(epoch) +
                                                                        " after batch " + std::to_string(b + 1) +
                                                                        " of " + std::to_string(num_batches));
    }
  }
  bar.finish();
  return samples;
}

std::int64_t Trainer::rows_per_batch(const Examples& examples) const {
  return loss_->grouped() ? options_.batch_size * examples.group_size : options_.batch_size;
}

EpochResult Trainer::train_epoch(const TrainingData& data, std::int64_t epoch, std::int64_t max_batches) {
  model_->train();
  if (!(resume_mid_epoch_ && epoch == progress_.epoch + 1)) {
    progress_.next_batch = 0;
    progress_.epoch_loss_sum = 0.0;
    progress_.epoch_samples = 0;
  }
  resume_mid_epoch_ = false;
  const auto start = std::chrono::steady_clock::now();
  const EpochData drawn = take_epoch(data, epoch);
  const double wait_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::int64_t n = drawn.examples.size();
  const std::int64_t batch_rows = rows_per_batch(drawn.examples);
  std::int64_t num_batches = (n + batch_rows - 1) / batch_rows;
  if (max_batches > 0) num_batches = std::min(num_batches, max_batches);
  const std::int64_t samples_here = train_batches(drawn, data, epoch, num_batches);

  EpochResult result;
  result.epoch = epoch;
  result.samples = progress_.epoch_samples;
  result.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.train_loss =
      progress_.epoch_loss_sum / static_cast<double>(std::max<std::int64_t>(1, progress_.epoch_samples));
  // Throughput of the batches this process trained (a resumed epoch counts only those).
  result.samples_per_second = static_cast<double>(samples_here) / std::max(1e-9, result.train_seconds);
  result.data_wait_seconds = wait_seconds;
  return result;
}

std::string Trainer::save(const std::string& resolved_config) const {
  return serialize_checkpoint(*model_, optimizer_.get(), progress_, resolved_config, sparse_optimizer_.get());
}

std::string Trainer::load(const std::filesystem::path& last, const std::filesystem::path& best) {
  // The best epoch's weights first (kept in memory for the final test), then the last state.
  if (std::filesystem::exists(best)) load_checkpoint(best, *model_, nullptr, false);
  best_state_ = snapshot_state(*model_);
  std::string saved_config;
  progress_ = load_checkpoint(last, *model_, optimizer_.get(), true, &saved_config, sparse_optimizer_.get());
  // The optimizer's state carries the rate it was saved with; training.learning_rate may change on resume.
  for (auto& group : optimizer_->param_groups()) group.options().set_lr(options_.learning_rate);
  if (sparse_optimizer_) {
    sparse_optimizer_->set_learning_rate(options_.sparse_learning_rate > 0.0 ? options_.sparse_learning_rate
                                                                             : options_.learning_rate);
  }
  resume_mid_epoch_ = progress_.next_batch > 0;
  return saved_config;
}

TrainResult Trainer::fit(const TrainingData& data, const EpochCallback& on_epoch) {
  TrainResult result;
  result.best_epoch = progress_.best_epoch;
  for (std::int64_t epoch = progress_.epoch + 1; epoch <= options_.epochs; ++epoch) {
    EpochResult epoch_result = train_epoch(data, epoch);
    bool improved = false;
    if (epoch % options_.eval_every == 0 || epoch == options_.epochs) {
      epoch_result.validated = true;
      epoch_result.validation = evaluate(*data.validation, data, "validation");
      const std::string& monitor = early_stopping_.monitor;
      const double value = monitor == "loss" ? epoch_result.validation.loss : epoch_result.validation.metric(monitor);
      const double best = progress_.best_value, delta = early_stopping_.min_delta;
      // The first validated epoch is always kept; a NaN never improves on a number.
      improved = progress_.best_epoch == 0 || (std::isnan(best) && !std::isnan(value)) ||
                 (early_stopping_.maximize ? value > best + delta : value < best - delta);
      if (improved) {
        progress_.best_value = value;
        progress_.best_epoch = epoch;
        progress_.without_improvement = 0;
        best_state_ = snapshot_state(*model_);
      } else {
        ++progress_.without_improvement;
      }
    }
    progress_.epoch = epoch;
    progress_.next_batch = 0;
    progress_.epoch_loss_sum = 0.0;
    progress_.epoch_samples = 0;
    result.best_epoch = progress_.best_epoch;
    result.epochs.push_back(epoch_result);
    if (on_epoch) on_epoch(epoch_result, improved);
    if (early_stopping_.patience > 0 && progress_.without_improvement >= early_stopping_.patience) {
      spdlog::info(
          "early stopping after epoch {}: validation {} has not improved for {} evaluations (best {:.5f} "
          "at epoch {})",
          epoch, early_stopping_.monitor, progress_.without_improvement, progress_.best_value, progress_.best_epoch);
      result.stopped_early = true;
      break;
    }
  }
  if (!best_state_.empty()) restore(*model_, best_state_);
  result.last_epoch = progress_.epoch;
  result.test = evaluate(*data.test, data, "test");
  return result;
}

}  // namespace recsys::core
