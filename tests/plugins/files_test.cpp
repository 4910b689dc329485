// The files dataset plugin, loaded through the host's loader: hand-written CSV, TSV, gzip and
// RecBole atomic files (expected values worked out by hand), every bad-input case, the fit on
// the training split, and ml-100k written as atomic files.
#include <gtest/gtest.h>
#include <zlib.h>

#include <torch/torch.h>

#include "recbole_atomic.hpp"
#include "recsys/conformance_gtest.hpp"
#include "recsys/errors.hpp"
#include "test_support.hpp"

namespace recsys {
namespace {

namespace fs = std::filesystem;

class FilesTest : public ::testing::Test {
 protected:
  /// The dataset of a [dataset] table (plugin "files", data_dir the fixture folder).
  std::shared_ptr<Dataset> dataset(const std::string& table) {
    configs.push_back(std::make_unique<core::PipelineConfig>(
        test::parse_config("[dataset]\ndata_dir = \"" + dir.path().string() + "\"\n" + table)));
    const Config& section = configs.back()->section("dataset");
    auto made = registry.create<PluginKind::dataset>("files", section);
    section.check_unknown_keys();
    return made;
  }
  InteractionData load(const std::string& table) { return dataset(table)->load(); }
  /// The message of the error load() throws.
  std::string load_error(const std::string& table) {
    try {
      load(table);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "(no error)";
  }

  test::TempDir dir;
  core::PluginRegistry registry = test::registry_with("dataset_files");
  std::vector<std::unique_ptr<core::PipelineConfig>> configs;
};

std::vector<std::int64_t> values(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous().to(torch::kInt64);
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

TEST_F(FilesTest, StringIdsAreNumberedInByteOrderAndIntegerIdsInNumericOrder) {
  dir.write("clicks.csv", "user_id,item_id\nu2,b\nu10,a\nu2,a\n");
  InteractionData d = load("interactions = \"clicks.csv\"\n");
  EXPECT_EQ(d.user_original_id, (std::vector<std::string>{"u10", "u2"}));  // byte order: '1' < '2'
  EXPECT_EQ(d.item_original_id, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(values(d.user_id), (std::vector<std::int64_t>{1, 0, 1}));
  EXPECT_EQ(values(d.item_id), (std::vector<std::int64_t>{1, 0, 0}));
  EXPECT_FALSE(d.labelled());
  dir.write("numbers.csv", "user_id,item_id\n10,7\n9,7\n");
  d = load("interactions = \"numbers.csv\"\n");
  EXPECT_EQ(d.user_original_id, (std::vector<std::string>{"9", "10"}));  // numeric: 9 < 10
}

TEST_F(FilesTest, QuotedCsvFieldsAndGzipAreRead) {
  const std::string text = "user_id,item_id,city\n\"u,1\",i1,\"New \"\"York\"\"\"\nu2,i2,\"multi\nline\"\n";
  gzFile gz = gzopen((dir.path() / "clicks.csv.gz").c_str(), "wb");
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
  InteractionData d = load("interactions = \"clicks.csv.gz\"\n[dataset.columns.city]\nrole = \"context\"\n");
  EXPECT_EQ(d.user_original_id, (std::vector<std::string>{"u,1", "u2"}));
  ASSERT_EQ(d.schema.context.categorical.size(), 1u);
  EXPECT_EQ(d.schema.context.categorical[0].cardinality, 4);  // missing, OOV, 2 values
  EXPECT_EQ(values(d.context_features.categorical.select(1, 0)), (std::vector<std::int64_t>{2, 3}));
}

TEST_F(FilesTest, DuplicatesKeepTheLatestThenTheThresholdThenTheKCore) {
  // (a, x) rated 5 at t=1 and 2 at t=3: the latest (2) is kept, then dropped by the threshold.
  dir.write("r.csv",
            "user_id,item_id,rating,timestamp\na,x,5,1\na,x,2,3\na,y,5,2\nb,y,4,1\nb,z,4,1\nc,z,5,1\nc,y,3,1\n");
  InteractionData d = load("interactions = \"r.csv\"\npositive_threshold = 4\n");
  // Positives: (a,y) (b,y) (b,z) (c,z).
  EXPECT_EQ(d.num_interactions(), 4);
  // 2-core: a has 1 positive, so a goes; then y has 1 (b), so y goes; then b has 1 (z): goes;
  // then z has 1 (c): goes... nothing is left, an error.
  EXPECT_NE(load_error("interactions = \"r.csv\"\npositive_threshold = 4\nmin_user_interactions = 2\n"
                       "min_item_interactions = 2\n")
                .find("no interaction is left"),
            std::string::npos);
  // Items with 2 interactions only: y (a, b) and z (b, c) stay; a, b, c keep theirs.
  d = load("interactions = \"r.csv\"\npositive_threshold = 4\nmin_item_interactions = 2\n");
  EXPECT_EQ(d.num_interactions(), 4);
  EXPECT_EQ(d.item_original_id, (std::vector<std::string>{"y", "z"}));
  // Without merging, (a, x) at t=1 (rating 5) is a positive too.
  d = load("interactions = \"r.csv\"\npositive_threshold = 4\nmerge_duplicates = false\n");
  EXPECT_EQ(d.num_interactions(), 5);
  EXPECT_EQ(d.timestamp[0].item<std::int64_t>(), 1);
}

TEST_F(FilesTest, InATimeOrderedLogTheLastDuplicateIsKept) {
  // In time order: (a, x) at t=1 then t=2 (rating 2) and a tie at t=3 (ratings 1 then 3).
  dir.write("t.csv", "user_id,item_id,rating,timestamp\na,x,5,1\nb,x,4,1\na,x,2,2\nb,y,1,3\nb,y,3,3\n");
  InteractionData d = load("interactions = \"t.csv\"\n");
  EXPECT_EQ(values(d.rating), (std::vector<std::int64_t>{4, 2, 3}));
  EXPECT_EQ(values(d.timestamp), (std::vector<std::int64_t>{1, 2, 3}));
}

/// A file of `rows` rows whose every 4th note holds a quoted line break (when `quoted`), so that
/// a byte range may start inside a record.
std::string many_rows(int rows, bool quoted) {
  const std::string sep = quoted ? "," : "\t";
  std::string text = "user_id" + sep + "item_id" + sep + "rating" + sep + "timestamp" + sep + "note\n";
  for (int r = 0; r < rows; ++r) {
    const std::string note = quoted && r % 4 == 0 ? "\"two\nlines\"" : "n" + std::to_string(r % 6);
    text += "u" + std::to_string(r % 13) + sep + "i" + std::to_string(r * 5 % 17) + sep + std::to_string(1 + r % 5) +
            sep + std::to_string(r / 3) + sep + note + "\n";
  }
  return text;
}

void expect_same_data(const InteractionData& a, const InteractionData& b) {
  EXPECT_EQ(a.user_original_id, b.user_original_id);
  EXPECT_EQ(a.item_original_id, b.item_original_id);
  EXPECT_EQ(values(a.user_id), values(b.user_id));
  EXPECT_EQ(values(a.item_id), values(b.item_id));
  EXPECT_TRUE(torch::equal(a.rating, b.rating));
  EXPECT_EQ(values(a.timestamp), values(b.timestamp));
  EXPECT_TRUE(torch::equal(a.context_features.categorical, b.context_features.categorical));
  EXPECT_EQ(a.context_values, b.context_values);
}

TEST_F(FilesTest, ReadingInByteRangesGivesTheSameDataAsOneThread) {
  dir.write("q.csv", many_rows(300, true));
  dir.write("p.tsv", many_rows(300, false));
  const std::string columns = "cache = false\n[dataset.columns.note]\nrole = \"context\"\n";
  for (const std::string file : {"q.csv", "p.tsv"}) {
    const std::string table = "interactions = \"" + file + "\"\n" + columns;
    const InteractionData one = load("read_threads = 1\n" + table);
    ASSERT_EQ(one.num_interactions(), 221);  // 13 x 17 pairs, repeating after row 221: 79 merged
    for (const int threads : {2, 3, 7, 64}) {
      SCOPED_TRACE(file + ", read_threads " + std::to_string(threads));
      expect_same_data(one, load("read_threads = " + std::to_string(threads) + "\n" + table));
    }
  }
}

TEST_F(FilesTest, BadLinesInALaterByteRangeAreReportedAtTheirLine) {
  std::string text = many_rows(300, false);
  // Line 251 (the header is line 1): a rating that is not a number.
  std::size_t at = 0;
  for (int line = 1; line < 251; ++line) at = text.find('\n', at) + 1;
  const std::size_t tab = text.find('\t', text.find('\t', at) + 1);
  text.replace(tab + 1, 1, "x");
  dir.write("bad.tsv", text);
  const std::string table = "interactions = \"bad.tsv\"\ncache = false\n";
  for (const int threads : {1, 4}) {
    SCOPED_TRACE("read_threads " + std::to_string(threads));
    const std::string error = load_error("read_threads = " + std::to_string(threads) + "\n" + table);
    EXPECT_NE(error.find("bad.tsv:251: column 'rating': expected a number"), std::string::npos) << error;
    const InteractionData skipped =
        load("read_threads = " + std::to_string(threads) + "\non_bad_line = \"skip\"\n" + table);
    EXPECT_EQ(skipped.num_interactions(), 221);  // row 249 repeats row 28's pair
  }
}

TEST_F(FilesTest, LabelledFeedbackFromALabelColumnOrARatingThreshold) {
  dir.write("ctr.csv", "user_id,item_id,label\na,x,1\na,y,0\nb,x,0\n");
  InteractionData d = load("interactions = \"ctr.csv\"\nfeedback = \"labelled\"\n");
  ASSERT_TRUE(d.labelled());
  EXPECT_EQ(values(d.label), (std::vector<std::int64_t>{1, 0, 0}));
  dir.write("r.csv", "user_id,item_id,rating\na,x,5\na,y,3\nb,x,4\n");
  d = load("interactions = \"r.csv\"\nfeedback = \"labelled\"\npositive_threshold = 4\n");
  EXPECT_EQ(values(d.label), (std::vector<std::int64_t>{1, 0, 1}));
  dir.write("bad.csv", "user_id,item_id,label\na,x,1\na,y,2\n");
  EXPECT_NE(load_error("interactions = \"bad.csv\"\nfeedback = \"labelled\"\n")
                .find("bad.csv:3: column 'label': a label must be 0 or 1, found '2'"),
            std::string::npos);
  EXPECT_NE(load_error("interactions = \"r.csv\"\nfeedback = \"labelled\"\n").find("needs a label column"),
            std::string::npos);
}

/// An atomic dataset: typed headers, a multi-valued field, a vector, a missing value, an item
/// the item file lacks.
void write_atomic(test::TempDir& dir) {
  dir.write("shop.inter",
            "user_id:token\titem_id:token\trating:float\ttimestamp:float\thour:token\n"
            "1\t10\t5\t100.4\t8\n1\t20\t4\t200\t9\n2\t10\t5\t300\t8\n2\t30\t4\t400\t\n");
  dir.write("shop.user", "user_id:token\tage:float\n1\t30\n2\t\n");
  dir.write("shop.item",
            "item_id:token\ttags:token_seq\tvec:float_seq\tyear:token\n"
            "10\tred big\t1 2\t1999\n20\t\t3 4\t\n");
}

TEST_F(FilesTest, AtomicFilesAreTypedByTheirHeaders) {
  write_atomic(dir);
  InteractionData d = load("");
  EXPECT_EQ(d.num_interactions(), 4);
  EXPECT_EQ(values(d.timestamp), (std::vector<std::int64_t>{100, 200, 300, 400}));  // float seconds rounded
  EXPECT_EQ(d.schema.context.categorical.at(0).name, "hour");
  // hour: 8, 9, 8, empty -> codes 2, 3, 2, 0 (missing).
  EXPECT_EQ(values(d.context_features.categorical.select(1, 0)), (std::vector<std::int64_t>{2, 3, 2, 0}));
  // Items 10, 20, 30 (30 not in the item file): tags {red, big}, {} and none -> [2, 3], [0], [0].
  ASSERT_EQ(d.item_features.multi_categorical.size(), 1u);
  EXPECT_EQ(values(d.item_features.multi_categorical[0].values), (std::vector<std::int64_t>{2, 3, 0, 0}));
  EXPECT_EQ(values(d.item_features.multi_categorical[0].offsets), (std::vector<std::int64_t>{0, 2, 3, 4}));
  EXPECT_EQ(d.schema.item.continuous_dim, 2);  // the vector's two columns, both named vec
  EXPECT_EQ(d.schema.item.continuous_names, (std::vector<std::string>{"vec", "vec"}));
  RECSYS_EXPECT_CONFORMS(conformance::check_dataset(*dataset("")));
}

TEST_F(FilesTest, TheFitMapsRareValuesToOutOfVocabularyAndFillsMissingNumbersFromTraining) {
  write_atomic(dir);
  auto plugin = dataset("min_count = 2\n");
  InteractionData d = plugin->load();
  // Training rows 0, 1, 2: hour 8 twice (kept), 9 once (OOV); users 1, 2; items 10, 20.
  plugin->fit_on_training_split(d, torch::tensor({0, 1, 2}, torch::kInt64));
  EXPECT_EQ(values(d.context_features.categorical.select(1, 0)), (std::vector<std::int64_t>{2, 1, 2, 0}));
  EXPECT_EQ(d.schema.context.categorical.at(0).cardinality, 3);
  EXPECT_EQ(d.context_values.at(0), (std::vector<std::string>{"", "<out of vocabulary>", "8"}));
  // age: user 1 has 30, user 2 none -> the training mean, 30.
  EXPECT_FLOAT_EQ(d.user_features.continuous[1][0].item<float>(), 30.0f);
  // vec of item 30 (no row): the training items' mean, (1 + 3) / 2 and (2 + 4) / 2.
  EXPECT_FLOAT_EQ(d.item_features.continuous[2][0].item<float>(), 2.0f);
  EXPECT_FLOAT_EQ(d.item_features.continuous[2][1].item<float>(), 3.0f);
}

TEST_F(FilesTest, StandardScalingIsFittedOnTheTrainingUsersEachCountedOnce) {
  dir.write("i.csv", "user_id,item_id\na,x\na,y\na,z\nb,x\nc,x\n");
  dir.write("u.csv", "user_id,age\na,10\nb,20\nc,60\n");
  auto plugin = dataset(
      "interactions = \"i.csv\"\nusers = \"u.csv\"\nscaling = \"standard\"\n[dataset.columns.age]\nkind = "
      "\"numeric\"\n");
  InteractionData d = plugin->load();
  // Training rows 0-3: users a (three rows) and b, each once: mean 15, population std 5.
  plugin->fit_on_training_split(d, torch::tensor({0, 1, 2, 3}, torch::kInt64));
  EXPECT_FLOAT_EQ(d.user_features.continuous[0][0].item<float>(), -1.0f);
  EXPECT_FLOAT_EQ(d.user_features.continuous[2][0].item<float>(), 9.0f);
}

TEST_F(FilesTest, TheFitRecordsEachContextColumnsTransformForRecommend) {
  dir.write("i.csv", "user_id,item_id,price\na,x,10\na,y,\nb,x,30\nc,x,1000\n");
  auto plugin = dataset(
      "interactions = \"i.csv\"\nscaling = \"minmax\"\n[dataset.columns.price]\nrole = \"context\"\nkind = "
      "\"numeric\"\n");
  InteractionData d = plugin->load();
  ASSERT_EQ(d.context_transforms.size(), 1u);  // identity before the fit
  EXPECT_FLOAT_EQ(d.context_transforms[0].scale, 1.0f);
  // Training rows 0-2: prices 10 and 30 (row 1 missing): fill 20, minimum 10, range 20.
  plugin->fit_on_training_split(d, torch::tensor({0, 1, 2}, torch::kInt64));
  const ContinuousTransform& t = d.context_transforms.at(0);
  EXPECT_FLOAT_EQ(t.fill, 20.0f);
  EXPECT_FLOAT_EQ(t.shift, 10.0f);
  EXPECT_FLOAT_EQ(t.scale, 20.0f);
  // The table the model sees went through the same transform: (20 - 10) / 20, (1000 - 10) / 20.
  EXPECT_FLOAT_EQ(d.context_features.continuous[1][0].item<float>(), 0.5f);
  EXPECT_FLOAT_EQ(d.context_features.continuous[3][0].item<float>(), 49.5f);
}

TEST_F(FilesTest, MultiValuedFieldsHoldOneEntryPerValueNotAPaddedTable) {
  // 60,000 items with 1 to 19 tags each (10 on average, the shape): the field stores
  // each value once, about 600,000, never 60,000 x 19.
  std::string inter = "user_id,item_id\n", items = "item_id,tags\n";
  std::int64_t total = 0;
  for (int i = 0; i < 60000; ++i) {
    inter += "u" + std::to_string(i % 97) + ",i" + std::to_string(i) + "\n";
    const int count = 1 + (i * 7) % 19;
    total += count;
    items += "i" + std::to_string(i) + ",";
    for (int t = 0; t < count; ++t) items += (t ? "|t" : "t") + std::to_string((i + t) % 500);
    items += "\n";
  }
  dir.write("i.csv", inter);
  dir.write("items.csv", items);
  InteractionData d = load(
      "interactions = \"i.csv\"\nitems = \"items.csv\"\n[dataset.columns.tags]\nkind = \"multi_categorical\"\n"
      "separator = \"|\"\n");
  const JaggedCodes& tags = d.item_features.multi_categorical.at(0);
  EXPECT_EQ(total, 600001);  // the sum over i of 1 + (7 i mod 19)
  EXPECT_EQ(tags.values.numel(), total);
  EXPECT_EQ(tags.offsets.numel(), 60001);
}

TEST_F(FilesTest, BadInputNamesTheFileLineAndColumn) {
  dir.write("a.csv", "user_id,item_id,rating\na,x,5\nb,y\n");
  EXPECT_NE(load_error("interactions = \"a.csv\"\n").find("a.csv:3: expected 3 fields (as the header), found 2"),
            std::string::npos);
  dir.write("b.csv", "user_id,item_id,rating\na,x,five\n");
  EXPECT_NE(load_error("interactions = \"b.csv\"\n").find("b.csv:2: column 'rating': expected a number, found 'five'"),
            std::string::npos);
  dir.write("c.tsv", "user_id\titem_id\n");
  EXPECT_NE(load_error("interactions = \"c.tsv\"\n").find("no interactions"), std::string::npos);
  dir.write("d.csv", "");
  EXPECT_NE(load_error("interactions = \"d.csv\"\n").find("d.csv:1: the file is empty"), std::string::npos);
  dir.write("e.csv", "user_id\titem_id\na\tx\n");  // tab-separated, read as CSV
  const std::string e = load_error("interactions = \"e.csv\"\n");
  EXPECT_NE(e.find("e.csv:1: no user_id column"), std::string::npos) << e;
  EXPECT_NE(e.find("is the separator right?"), std::string::npos) << e;
  dir.write("f.csv", "user,item_id\na,x\n");
  EXPECT_NE(load_error("interactions = \"f.csv\"\n").find("no user_id column (the header has: user, item_id)"),
            std::string::npos);
  EXPECT_NE(load_error("interactions = \"f.csv\"\n[dataset.columns.user]\nrole = \"user_id\"\n[dataset.columns.hour]\n"
                       "role = \"context\"\n")
                .find("f.csv:1: no column 'hour' (declared in [dataset.columns.hour]"),
            std::string::npos);
  dir.write("h.csv", "user_id,item_id\na,x\n");
  dir.write("u.csv", "user_id,age\na,1\na,2\n");
  EXPECT_NE(load_error("interactions = \"h.csv\"\nusers = \"u.csv\"\n")
                .find("u.csv:3: user_id 'a' is listed twice (first on line 2)"),
            std::string::npos);
  dir.write("g.csv", "user_id,item_id\n,x\n");
  EXPECT_NE(load_error("interactions = \"g.csv\"\n").find("g.csv:2: column 'user_id': empty user_id"),
            std::string::npos);
}

TEST_F(FilesTest, SkippedBadLinesAreCountedAndLeaveNothingBehind) {
  dir.write("a.csv", "user_id,item_id,rating\na,x,5\nb,y,oops\nc,z\nd,w,4\n");
  InteractionData d = load("interactions = \"a.csv\"\non_bad_line = \"skip\"\n");
  EXPECT_EQ(d.user_original_id, (std::vector<std::string>{"a", "d"}));
  EXPECT_EQ(values(d.rating), (std::vector<std::int64_t>{5, 4}));
}

TEST_F(FilesTest, TheResolvedConfigLoadsTheSameData) {
  // evaluate and recommend rebuild the dataset from the run's config.toml: the defaults it
  // records must mean what they meant (an absent positive_threshold stays absent).
  dir.write("clicks.csv", "user_id,item_id\na,x\nb,y\n");
  const InteractionData first = load("interactions = \"clicks.csv\"\n");
  const auto resolved = test::parse_config(configs.back()->resolved_toml());
  auto again = registry.create<PluginKind::dataset>("files", resolved.section("dataset"));
  EXPECT_EQ(again->load().user_original_id, first.user_original_id);
}

TEST_F(FilesTest, PreSplitFilesGiveEachRowItsSplit) {
  dir.write("train.csv", "user_id,item_id\na,x\nb,y\n");
  dir.write("valid.csv", "user_id,item_id\na,y\n");
  dir.write("test.csv", "user_id,item_id\nb,x\na,x\n");
  // (a, x) is in train and test: not merged across splits.
  InteractionData d = load("interactions = \"train.csv\"\nvalidation = \"valid.csv\"\ntest = \"test.csv\"\n");
  ASSERT_TRUE(d.split.defined());
  EXPECT_EQ(values(d.split), (std::vector<std::int64_t>{0, 0, 1, 2, 2}));
  dir.write("other.csv", "item_id,user_id\nx,a\n");
  EXPECT_NE(load_error("interactions = \"train.csv\"\nvalidation = \"valid.csv\"\ntest = \"other.csv\"\n")
                .find("other.csv:1: the header differs from"),
            std::string::npos);
  EXPECT_NE(test::config_error([&] {
              dataset("interactions = \"train.csv\"\ntest = \"test.csv\"\n");
            }).find("give both validation and test files"),
            std::string::npos);
  // RecBole's benchmark names for atomic files.
  dir.write("b.train.inter", "user_id:token\titem_id:token\n1\t10\n2\t20\n");
  dir.write("b.valid.inter", "user_id:token\titem_id:token\n1\t20\n");
  dir.write("b.test.inter", "user_id:token\titem_id:token\n2\t10\n");
  d = load("name = \"b\"\n");
  EXPECT_EQ(values(d.split), (std::vector<std::int64_t>{0, 0, 1, 2}));
  RECSYS_EXPECT_CONFORMS(conformance::check_dataset(*dataset("name = \"b\"\n")));
}

TEST_F(FilesTest, ASecondLoadComesFromTheCacheUntilAFileChanges) {
  write_atomic(dir);
  const fs::path cache = fs::path(std::getenv("XDG_CACHE_HOME")) / "recsys" / "parsed";
  const auto cached_files = [&] {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(cache, ec))
      n += entry.path().filename().string().rfind("files-", 0) == 0;
    return n;
  };
  const std::size_t before = cached_files();
  const InteractionData first = load("");
  EXPECT_EQ(cached_files(), before + 1);
  const InteractionData again = load("");  // from the cache: the same tensors, ids and schema
  EXPECT_TRUE(torch::equal(again.user_id, first.user_id));
  EXPECT_TRUE(torch::equal(again.context_features.categorical, first.context_features.categorical));
  EXPECT_TRUE(torch::equal(again.item_features.multi_categorical.at(0).values,
                           first.item_features.multi_categorical.at(0).values));
  EXPECT_EQ(again.item_original_id, first.item_original_id);
  EXPECT_EQ(again.context_values, first.context_values);
  EXPECT_EQ(again.schema.item.multi_categorical.at(0).cardinality,
            first.schema.item.multi_categorical.at(0).cardinality);
  // Another interactions file (other size): parsed again.
  dir.write("shop.inter", "user_id:token\titem_id:token\trating:float\ttimestamp:float\thour:token\n7\t10\t5\t1\t8\n");
  EXPECT_EQ(load("").user_original_id, (std::vector<std::string>{"7"}));
  EXPECT_EQ(load("cache = false\n").user_original_id, (std::vector<std::string>{"7"}));
}

TEST_F(FilesTest, ALargeCacheReadsBackMappedAndFitsAsAFreshParse) {
  // 6,000 rows: the interaction and context columns are past the size stored raw and mapped.
  std::string csv = "user_id,item_id,timestamp,hour,price\n";
  for (int r = 0; r < 6000; ++r) {
    csv += "u" + std::to_string(r % 97) + ",i" + std::to_string(r % 89) + "," + std::to_string(1000 + r) + "," +
           std::to_string(r % 24) + "," + (r % 10 == 0 ? "" : std::to_string(r % 7)) + "\n";
  }
  dir.write("big.csv", csv);
  const std::string table =
      "interactions = \"big.csv\"\nscaling = \"standard\"\n[dataset.columns.hour]\nrole = \"context\"\n"
      "[dataset.columns.price]\nrole = \"context\"\nkind = \"numeric\"\n";
  auto fresh = dataset("cache = false\n" + table);
  InteractionData expected = fresh->load();
  load(table);  // parses and writes the cache
  auto cached = dataset(table);
  InteractionData d = cached->load();
  EXPECT_TRUE(torch::equal(d.user_id, expected.user_id));
  EXPECT_TRUE(torch::equal(d.timestamp, expected.timestamp));
  EXPECT_TRUE(torch::equal(d.context_features.categorical, expected.context_features.categorical));
  const torch::Tensor train = torch::arange(4000, torch::kInt64);
  fresh->fit_on_training_split(expected, train);
  cached->fit_on_training_split(d, train);
  EXPECT_TRUE(torch::equal(d.context_features.categorical, expected.context_features.categorical));
  EXPECT_TRUE(torch::allclose(d.context_features.continuous, expected.context_features.continuous));
  EXPECT_EQ(d.context_values, expected.context_values);
  // A third load from the same file: the fit above changed the mapped tables only in memory.
  InteractionData again = load(table);
  EXPECT_TRUE(torch::equal(again.user_id, expected.user_id));
  EXPECT_FALSE(torch::allclose(again.context_features.continuous, d.context_features.continuous));
}

TEST_F(FilesTest, ConfigErrorsNameTheKey) {
  EXPECT_NE(test::config_error([&] { dataset("interactions = \"nope.csv\"\n"); }).find("dataset.interactions"),
            std::string::npos);
  dir.write("a.csv", "user_id,item_id\na,x\n");
  EXPECT_NE(test::config_error([&] {
              dataset("interactions = \"a.csv\"\n[dataset.columns.x]\nrole = \"color\"\n");
            }).find("dataset.columns.x.role"),
            std::string::npos);
  EXPECT_NE(test::config_error([&] { dataset(""); }).find("has no *.inter file"), std::string::npos);
}

TEST(FilesMovieLens, RecBoleAtomicMl100kGivesTheMovieLensCounts) {
  RECSYS_REQUIRE_MOVIELENS_100K();
  test::TempDir dir;
  test::write_recbole_ml100k(test::data_root() / "ml-100k", dir.path());
  auto config = test::parse_config("[dataset]\ndata_dir = \"" + dir.path().string() + "\"\npositive_threshold = 4\n");
  core::PluginRegistry registry = test::registry_with("dataset_files");
  auto dataset = registry.create<PluginKind::dataset>("files", config.section("dataset"));
  const InteractionData d = dataset->load();
  // awk '$3 >= 4' u.data: 55,376 ratings of 942 users on 1447 items.
  EXPECT_EQ(d.schema.user.num_ids, 942);
  EXPECT_EQ(d.schema.item.num_ids, 1447);
  EXPECT_EQ(d.num_interactions(), 55376);
  EXPECT_EQ(d.item_title.at(0), "Toy Story");
}

}  // namespace
}  // namespace recsys
