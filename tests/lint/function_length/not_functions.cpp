// Fixture of the function_length self-test (never compiled): braces that open no function.
#include <string>
#include <vector>

// A function in a macro's definition is not the file's.
#define FIXTURE_MACRO(name) \
  int name() {              \
    return 1;               \
  }

namespace fixture {

// A brace initialiser of 64 lines is a variable, not a function.
const std::vector<std::string> kNames{
    "name0",   // 0
    "name1",   // 1
    "name2",   // 2
    "name3",   // 3
    "name4",   // 4
    "name5",   // 5
    "name6",   // 6
    "name7",   // 7
    "name8",   // 8
    "name9",   // 9
    "name10",  // 10
    "name11",  // 11
    "name12",  // 12
    "name13",  // 13
    "name14",  // 14
    "name15",  // 15
    "name16",  // 16
    "name17",  // 17
    "name18",  // 18
    "name19",  // 19
    "name20",  // 20
    "name21",  // 21
    "name22",  // 22
    "name23",  // 23
    "name24",  // 24
    "name25",  // 25
    "name26",  // 26
    "name27",  // 27
    "name28",  // 28
    "name29",  // 29
    "name30",  // 30
    "name31",  // 31
    "name32",  // 32
    "name33",  // 33
    "name34",  // 34
    "name35",  // 35
    "name36",  // 36
    "name37",  // 37
    "name38",  // 38
    "name39",  // 39
    "name40",  // 40
    "name41",  // 41
    "name42",  // 42
    "name43",  // 43
    "name44",  // 44
    "name45",  // 45
    "name46",  // 46
    "name47",  // 47
    "name48",  // 48
    "name49",  // 49
    "name50",  // 50
    "name51",  // 51
    "name52",  // 52
    "name53",  // 53
    "name54",  // 54
    "name55",  // 55
    "name56",  // 56
    "name57",  // 57
    "name58",  // 58
    "name59",  // 59
    "name60",  // 60
    "name61",  // 61
};

// The same with `= {`, and a call in it.
const std::vector<int> kNumbers = {
    0,   // 0
    1,   // 1
    2,   // 2
    3,   // 3
    4,   // 4
    5,   // 5
    6,   // 6
    7,   // 7
    8,   // 8
    9,   // 9
    10,  // 10
    11,  // 11
    12,  // 12
    13,  // 13
    14,  // 14
    15,  // 15
    16,  // 16
    17,  // 17
    18,  // 18
    19,  // 19
    20,  // 20
    21,  // 21
    22,  // 22
    23,  // 23
    24,  // 24
    25,  // 25
    26,  // 26
    27,  // 27
    28,  // 28
    29,  // 29
    30,  // 30
    31,  // 31
    32,  // 32
    33,  // 33
    34,  // 34
    35,  // 35
    36,  // 36
    37,  // 37
    38,  // 38
    39,  // 39
    40,  // 40
    41,  // 41
    42,  // 42
    43,  // 43
    44,  // 44
    45,  // 45
    46,  // 46
    47,  // 47
    48,  // 48
    49,  // 49
    50,  // 50
    51,  // 51
    52,  // 52
    53,  // 53
    54,  // 54
    55,  // 55
    56,  // 56
    57,  // 57
    58,  // 58
    59,  // 59
    60,  // 60
    static_cast<int>(sizeof(int)),
};

enum class Colour { red, green, blue };

struct Module {};
TORCH_MODULE(Module);

// 3 lines: a default argument in braces does not end the declaration.
int with_default(std::vector<int> values = {1, 2}) {
  return values.size();
}

}  // namespace fixture

extern "C" {
// 3 lines: functions inside a linkage block are found.
int c_entry() {
  return 0;
}
}

RECSYS_EXPORT_PLUGIN(fixture::Module, "A plugin {with braces} in its description", "");
