# Sourced by the ranking benchmarks: the shipped configs/movielens_<model>.toml with the training
# choices of ../shared/reference/pytorch_ranking.py (one uniform negative, no candidates key).
#   reference_choices ROOT MODEL OUT_FILE
reference_choices() {
  sed -e 's/^plugin = "hard"/plugin = "uniform"/' -e '/^candidates = /d' -e 's/^num_negatives = 2/num_negatives = 1/' \
    "$1/configs/movielens_$2.toml" > "$3"
}
