#!/usr/bin/env python3
"""Reports every C++ function or method longer than a limit (default 60 lines).

Usage: check-function-length.py [--limit N] [PATH ...]

PATHs are files or folders (searched for *.cpp, *.hpp, *.h, *.cc, *.hh, *.cxx, *.hxx); without
them, core/, apps/, plugins/ and sdk/ of the repository holding this script. A function's length
runs from the first line of its signature (a `template <...>` line above it included) to its
closing brace inclusive, blank and comment lines included. Prints `path:line: name is N lines
(limit L)` for each offender and exits 1 if there is any. `--limit 0` lists every function found.

It is a scanner, not a parser: comments, string and character literals are blanked (newlines
kept), preprocessor lines end a declaration like `;`, and each `{` at namespace or class scope
is classified by the text since the previous `;`, `{` or `}`: a class, struct, union or
namespace body is scanned for more functions, a function body (a parameter list followed only
by qualifiers or a constructor's initialiser list) is measured, and anything else (brace
initialisers, enum bodies, braces inside parentheses) is skipped. Everything inside a function
body, lambdas and local classes included, belongs to that function. Registered as the CTest test
`function_length`; tests/lint/ holds its self-test.
"""

import argparse
import os
import re
import sys

EXTENSIONS = (".cpp", ".hpp", ".h", ".cc", ".hh", ".cxx", ".hxx")
DEFAULT_FOLDERS = ("core", "apps", "plugins", "sdk")
RAW_STRING_PREFIXES = ("R", "u8R", "uR", "UR", "LR")


# ---------------------------------------------------------------------------------------------
# Pass 1: blank comments, literals and preprocessor lines, keeping every offset and newline.


def _blank(chars, begin, end):
    for k in range(begin, end):
        if chars[k] != "\n":
            chars[k] = " "


def _token_before(text, i):
    """The identifier-like token ([A-Za-z0-9_.']) that ends just before offset i."""
    k = i
    while k > 0 and (text[k - 1].isalnum() or text[k - 1] in "_.'"):
        k -= 1
    return text[k:i]


def _end_of_quoted(text, i, quote):
    """Offset just past the literal that opens with `quote` at i (backslash escapes honoured)."""
    k = i + 1
    while k < len(text) and text[k] != quote:
        if text[k] == "\\":
            k += 1
        elif text[k] == "\n":  # an unterminated literal ends at the line's end
            return k
        k += 1
    return min(k + 1, len(text))


def _end_of_raw_string(text, i):
    """Offset just past the raw string R"delim(...)delim" whose quote is at i."""
    open_paren = text.find("(", i)
    if open_paren < 0:
        return len(text)
    closing = ")" + text[i + 1 : open_paren] + '"'
    end = text.find(closing, open_paren)
    return len(text) if end < 0 else end + len(closing)


def _end_of_directive(text, i):
    """Offset of the newline that ends the preprocessor directive starting at i."""
    k = i
    while k < len(text):
        if text[k] == "\n" and text[k - 1] != "\\":
            return k
        k += 1
    return k


def strip_source(text):
    """`text` with comments, literals and directives blanked; each directive start becomes `;`."""
    chars = list(text)
    i, n = 0, len(text)
    line_start = True  # only whitespace since the last newline
    while i < n:
        c = text[i]
        if c == "\n":
            line_start = True
            i += 1
            continue
        if line_start and c == "#":
            end = _end_of_directive(text, i)
            _blank(chars, i, end)
            chars[i] = ";"  # a directive ends the declaration text before it
            i = end
            continue
        if not c.isspace():
            line_start = False
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            _blank(chars, i, end)
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            _blank(chars, i, end)
            i = end
        elif c == '"':
            raw = _token_before(text, i) in RAW_STRING_PREFIXES
            end = _end_of_raw_string(text, i) if raw else _end_of_quoted(text, i, '"')
            _blank(chars, i + 1, end - 1)  # keep the quotes: `extern "C"` stays recognisable
            i = end
        elif c == "'":
            if _token_before(text, i)[:1].isdigit():  # a digit separator: 1'000'000
                i += 1
                continue
            end = _end_of_quoted(text, i, "'")
            _blank(chars, i + 1, end - 1)
            i = end
        else:
            i += 1
    return "".join(chars)


# ---------------------------------------------------------------------------------------------
# Classifying the declaration text in front of a `{`.

_SPACE = r"\s*"
# A name that can own a parameter list: qualified, destructor, operator or template-id.
_NAME = (
    r"(?P<name>(?<![\w~])(?:[A-Za-z_]\w*\s*(?:<[^;{}]*?>)?\s*::\s*)*~?\s*"
    r"(?:operator\s*(?:\(\)|\[\]|new\b|delete\b|[^\w\s(]+|\s[A-Za-z_][\w\s:*&<>]*?)|[A-Za-z_]\w*)"
    r"(?:\s*<[^;{}()]*>)?)"
)
_QUALIFIERS = r"(?:\s*(?:(?:const|volatile|override|final|mutable|try)\b|noexcept\b(?:\s*\(\))?|throw\s*\(\)|&&|&))*"
_TRAILING_RETURN = r"(?:\s*->\s*[^{};=]+?)?"
_INIT_ENTRY = r"[A-Za-z_][\w:]*(?:\s*<[^;{}()]*>)?\s*(?:\(\)|\{\})(?:\s*\.\.\.)?"
_FUNCTION = re.compile(
    r"^(?P<pre>.*?)" + _NAME + r"\s*\(\)" + _QUALIFIERS + _TRAILING_RETURN
    + r"(?:\s*:\s*" + _INIT_ENTRY + r"(?:\s*,\s*" + _INIT_ENTRY + r")*)?\s*$",
    re.S,
)
# A constructor whose initialiser list is not finished: the `{` opens a member's brace init.
_INIT_IN_PROGRESS = re.compile(
    r"^.*?" + _NAME + r"\s*\(\)" + _QUALIFIERS + r"\s*:\s*(?:" + _INIT_ENTRY
    + r"\s*,\s*)*[A-Za-z_][\w:]*(?:\s*<[^;{}()]*>)?\s*$",
    re.S,
)
# `auto f = [captures](params) mutable -> T {`: a lambda stored in a variable, measured as one.
_LAMBDA_VARIABLE = re.compile(
    r"(?P<name>[A-Za-z_]\w*)\s*=\s*\[\](?:\s*\(\))?" + _QUALIFIERS + _TRAILING_RETURN + r"\s*$", re.S
)
_LEADING_NOISE = re.compile(r"(?:\s+|(?:public|private|protected)\s*:(?!:)|\[\]|typedef\b|inline\b|export\b)")
_MACRO_CALL = re.compile(r"^\s*[A-Z][A-Z0-9_]*\s*\(\)")


def collapse(text):
    """`text` with each top-level (...), [...] and {...} reduced to its two delimiters.

    Returns the collapsed string and, for each of its characters, its offset in `text`."""
    out, where = [], []
    depth = 0
    pairs = {"(": ")", "[": "]", "{": "}"}
    closers = []
    for k, c in enumerate(text):
        if c in pairs:
            if depth == 0:
                out.append(c)
                where.append(k)
            depth += 1
            closers.append(pairs[c])
        elif closers and c == closers[-1]:
            closers.pop()
            depth -= 1
            if depth == 0:
                out.append(c)
                where.append(k)
        elif depth == 0:
            out.append(c)
            where.append(k)
    return "".join(out), where


def strip_template_heads(text):
    """`text` with leading `template <...>` heads blanked (angle brackets balanced outside parens)."""
    k = 0
    while True:
        m = re.compile(r"\s*template\s*<").match(text, k)
        if not m:
            return " " * k + text[k:]
        depth, parens, k = 1, 0, m.end()
        while k < len(text) and depth:
            c = text[k]
            parens += (c == "(") - (c == ")")
            if not parens:
                depth += (c == "<") - (c == ">")
            k += 1


def strip_leading_noise(text):
    """`text` with access labels, attributes, typedef/inline/export at its front blanked."""
    k = 0
    while True:
        m = _LEADING_NOISE.match(text, k)
        if not m or m.end() == k:
            return " " * k + text[k:]
        k = m.end()


def tidy_name(name):
    """`Foo::operator bool` of `Foo :: operator  bool`: one space, and only between two words."""
    return re.sub(r"(?<=\W) | (?=\W)", "", re.sub(r"\s+", " ", name.strip()))


class Header:
    """The declaration text in front of one `{`: what that brace opens."""

    def __init__(self, text):
        self.text = text
        self.kind, self.name, self.offset = self._classify()

    def _classify(self):
        """(kind, name, offset of the declaration's first character within the text)."""
        text = self.text
        if text.count("(") > text.count(")") or text.count("[") > text.count("]"):
            return "nested", None, 0  # a brace inside parentheses: a default argument, a macro's
        flat, where = collapse(text)
        # The declaration starts after any access label, at its template head if it has one.
        flat = strip_leading_noise(flat)
        first = len(flat) - len(flat.lstrip())
        offset = where[first] if first < len(flat) else 0
        flat = strip_leading_noise(strip_template_heads(flat))
        body = flat.strip()
        head = re.sub(r"^(?:extern\s*\"\s*\"\s*)", "", body)
        if re.fullmatch(r'extern\s*"\s*"', body) or re.match(r"(?:inline\s+)?namespace\b", head):
            return "namespace", None, offset
        if re.match(r"(?:class|struct|union)\b", head):
            return "class", self._class_name(head), offset
        if re.match(r"enum\b", head):
            return "other", None, offset
        if _INIT_IN_PROGRESS.match(body):
            return "nested", None, 0
        m = _FUNCTION.match(flat)
        if m:
            return "function", tidy_name(m.group("name")), self._after_macro(flat, where, m, offset)
        m = _LAMBDA_VARIABLE.search(body)
        if m:
            return "function", m.group("name"), offset
        return "other", None, offset

    @staticmethod
    def _class_name(head):
        """`Config` of `class RECSYS_API Config final : public Base` (None when anonymous)."""
        words = re.split(r"(?<!:):(?!:)", head, maxsplit=1)[0].split()[1:]
        words = [w for w in words if w not in ("final", "[]") and not w.startswith("alignas")]
        return re.sub(r"<.*", "", words[-1]) if words else None

    @staticmethod
    def _after_macro(flat, where, match, offset):
        """The declaration's start when a macro call without `;` (FOO(x) on its own line) precedes it."""
        pre = flat[: match.start("name")]
        m = _MACRO_CALL.match(pre)
        if m and "\n" in pre[m.end() :]:
            rest = pre[m.end() :]
            return where[m.end() + len(rest) - len(rest.lstrip())]
        return offset


# ---------------------------------------------------------------------------------------------
# Pass 2: walking the braces.


class Scanner:
    """Finds the functions of one stripped source: a list of (start line, end line, name)."""

    def __init__(self, stripped):
        self.text = stripped
        self.functions = []
        self._line_starts = [0] + [k + 1 for k, c in enumerate(stripped) if c == "\n"]

    def line_of(self, offset):
        lo, hi = 0, len(self._line_starts) - 1
        while lo < hi:  # the last line start at or before offset
            mid = (lo + hi + 1) // 2
            if self._line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def skip_block(self, i):
        """Offset of the `}` matching the `{` at i (or the end of the text)."""
        depth = 0
        for k in range(i, len(self.text)):
            c = self.text[k]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return k
        return len(self.text)

    def skip_handlers(self, end):
        """The `}` of the last `catch (...) {...}` after a function-try-block's body ending at `end`."""
        while True:
            m = re.compile(r"\s*catch\s*\(").match(self.text, end + 1)
            brace = self.text.find("{", m.end()) if m else -1
            if brace < 0:
                return end
            end = self.skip_block(brace)

    def scan_scope(self, i, classes):
        """Scans a namespace or class body from offset i; returns the offset of its `}`."""
        start = i  # where the current declaration's text begins
        while i < len(self.text):
            c = self.text[i]
            if c == ";":
                start = i + 1
            elif c == "}":
                return i
            elif c == "{":
                i, ends_declaration = self._open(start, i, classes)
                if ends_declaration:
                    start = i + 1
            i += 1
        return i

    def _open(self, start, i, classes):
        """Handles the `{` at i, text[start:i] in front of it.

        Returns the offset of the `}` that closes it and whether that `}` ends the declaration
        (a brace inside a parameter list or an initialiser list does not)."""
        header = Header(self.text[start:i])
        if header.kind in ("namespace", "class"):
            inner = classes + [header.name] if header.kind == "class" and header.name else classes
            return self.scan_scope(i + 1, inner), True
        end = self.skip_block(i)
        if header.kind == "function":
            end = self.skip_handlers(end)
            name = "::".join(classes + [header.name])
            self.functions.append((self.line_of(start + header.offset), self.line_of(end), name))
        return end, header.kind != "nested"


def find_functions(text):
    """(start line, end line, name) of every function defined in C++ source `text`."""
    scanner = Scanner(strip_source(text))
    scanner.scan_scope(0, [])
    return scanner.functions


# ---------------------------------------------------------------------------------------------


def source_files(paths):
    """Every C++ source under `paths` (files given directly are taken whatever their suffix)."""
    for path in paths:
        if os.path.isfile(path):
            yield path
            continue
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.endswith(EXTENSIONS):
                    yield os.path.join(folder, name)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=60, help="longest function allowed, in lines (default 60)")
    parser.add_argument("paths", nargs="*", help="files or folders (default: core apps plugins sdk of the repository)")
    args = parser.parse_args(argv)
    paths = args.paths
    if not paths:
        os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
        paths = [folder for folder in DEFAULT_FOLDERS if os.path.isdir(folder)]
    for path in paths:
        if not os.path.exists(path):
            parser.error(f"{path}: no such file or folder")
    offenders = 0
    for path in source_files(paths):
        with open(path, encoding="utf-8", errors="replace") as source:
            functions = find_functions(source.read())
        for first, last, name in functions:
            length = last - first + 1
            if length > args.limit:
                print(f"{path}:{first}: {name} is {length} lines (limit {args.limit})")
                offenders += 1
    return 1 if offenders else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
