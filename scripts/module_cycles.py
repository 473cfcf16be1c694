#!/usr/bin/env python3
"""Import cycles between the modules of one Rust crate.

Usage: python3 scripts/module_cycles.py CRATE_SRC_DIR [--ignore MOD ...] [--edges] [--with-tests]

Every `.rs` file under CRATE_SRC_DIR is a module (`a/b.rs` and `a/b/mod.rs` are `a::b`; `lib.rs`
and `main.rs` are the crate root). A module depends on another when its code names a
`crate::...` path into it: in `use` lines (braces and all) or inline (`crate::keys::EntryId`).
`crate::Name` for a name the root re-exports (`pub use module::Name;`) counts as the module it
comes from. `#[cfg(test)]` blocks are left out (tests are not part of the product's graph), as
are comments, strings, `super::` and `self::` paths, and the root's own re-exports.

Prints the modules in dependency order and exits 0 when there is no cycle; otherwise prints
each cycle (a strongly connected set of modules, with the lines that close it) and exits 1.
`--ignore MOD` leaves a module out of the graph (repeatable); `--edges` prints every edge.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOTS = {"lib", "main"}


def strip_code(text: str, with_tests: bool) -> str:
    """The file's text with comments, strings and (unless asked) `#[cfg(test)]` items blanked out,
    line structure kept so line numbers still point at the source."""
    blank = lambda m: re.sub(r"[^\n]", " ", m.group(0))  # noqa: E731
    text = re.sub(r"/\*.*?\*/", blank, text, flags=re.S)
    text = re.sub(r"r(#*)\".*?\"\1", blank, text, flags=re.S)
    text = re.sub(r"'(?:\\.|[^'\\\n])'", blank, text)
    text = re.sub(r"\"(?:\\.|[^\"\\])*\"", blank, text, flags=re.S)
    text = re.sub(r"//[^\n]*", blank, text)
    if not with_tests:
        text = strip_cfg_test(text)
    return text


def strip_cfg_test(text: str) -> str:
    """Blanks every item marked `#[cfg(test)]` (a `{...}` block, or an item ending in `;`)."""
    out = list(text)
    for m in re.finditer(r"#\[cfg\(test\)\]", text):
        i = m.end()
        depth = 0
        while i < len(text):
            c = text[i]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    i += 1
                    break
            elif c == ";" and depth == 0:
                i += 1
                break
            i += 1
        for j in range(m.start(), min(i, len(text))):
            if out[j] != "\n":
                out[j] = " "
    return "".join(out)


def module_name(src: Path, f: Path) -> str:
    rel = f.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "mod":
        parts = parts[:-1]
    if len(parts) == 1 and parts[0] in ROOTS:
        return "crate"
    return "::".join(parts)


def expand_paths(text: str, start: int) -> list[str]:
    """The full paths of a path tree starting at `start` (just after `crate::`):
    `a::{b, c::{self, D}}` gives `a::b`, `a::c`, `a::c::D`."""

    def parse(i: int, prefix: list[str]) -> tuple[list[list[str]], int]:
        segs = list(prefix)
        while True:
            m = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|\*)").match(text, i)
            if m:
                segs.append(m.group(1))
                i = m.end()
                m2 = re.compile(r"\s*::\s*").match(text, i)
                if m2:
                    i = m2.end()
                    continue
                return [segs], i
            m = re.compile(r"\s*\{").match(text, i)
            if not m:
                return [segs], i
            i = m.end()
            paths: list[list[str]] = []
            while True:
                sub, i = parse(i, segs)
                paths.extend(sub)
                m = re.compile(r"\s*,").match(text, i)
                if m:
                    i = m.end()
                    if re.compile(r"\s*\}").match(text, i):
                        i = re.compile(r"\s*\}").match(text, i).end()
                        return paths, i
                    continue
                m = re.compile(r"\s*\}").match(text, i)
                if m:
                    i = m.end()
                return paths, i

    paths, _ = parse(start, [])
    return ["::".join(p for p in path if p not in ("self", "*")) for path in paths]


def reexports(root_text: str) -> dict[str, str]:
    """Names the crate root re-exports, and the path they come from."""
    names: dict[str, str] = {}
    for m in re.finditer(r"\bpub\s+use\s+(?:crate::)?", root_text):
        for path in expand_paths(root_text, m.end()):
            if path:
                names[path.split("::")[-1]] = path
    return names


def resolve(path: str, modules: set[str], names: dict[str, str]) -> str | None:
    parts = [p for p in path.split("::") if p]
    if not parts:
        return None
    if parts[0] not in modules and parts[0] in names:
        parts = names[parts[0]].split("::") + parts[1:]
    for n in range(len(parts), 0, -1):
        candidate = "::".join(parts[:n])
        if candidate in modules:
            return candidate
    return None


def sccs(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    for v in nodes:
        if v not in index:
            visit(v)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path, help="the crate's src directory")
    ap.add_argument("--ignore", action="append", default=[], help="module to leave out")
    ap.add_argument("--edges", action="store_true", help="print every edge")
    ap.add_argument("--with-tests", action="store_true", help="count #[cfg(test)] code too")
    args = ap.parse_args()
    src: Path = args.src
    files = sorted(src.rglob("*.rs"))
    if not files:
        print(f"no .rs files under {src}", file=sys.stderr)
        return 2
    texts = {module_name(src, f): strip_code(f.read_text(), args.with_tests) for f in files}
    modules = set(texts) - {"crate"}
    names = reexports(texts.get("crate", ""))
    ignored = set(args.ignore)
    edges: dict[str, set[str]] = {m: set() for m in modules - ignored}
    where: dict[tuple[str, str], int] = {}
    for mod, text in texts.items():
        if mod == "crate" or mod in ignored:
            continue
        for m in re.finditer(r"\bcrate\s*::\s*", text):
            line = text.count("\n", 0, m.start()) + 1
            for path in expand_paths(text, m.end()):
                target = resolve(path, modules, names)
                if target and target != mod and target not in ignored:
                    edges[mod].add(target)
                    where.setdefault((mod, target), line)
    nodes = sorted(edges)
    if args.edges:
        for a in nodes:
            for b in sorted(edges[a]):
                print(f"{a} -> {b}  (line {where[(a, b)]})")
    cycles = [c for c in sccs(nodes, edges) if len(c) > 1]
    if cycles:
        for comp in cycles:
            print(f"cycle among {', '.join(comp)}:")
            members = set(comp)
            for a in comp:
                for b in sorted(edges[a] & members):
                    print(f"  {a} -> {b}  ({a.replace('::', '/')}.rs line {where[(a, b)]})")
        return 1
    # Dependency order: a module after everything it uses.
    order: list[str] = []
    done: set[str] = set()

    def place(v: str) -> None:
        if v in done:
            return
        done.add(v)
        for w in sorted(edges[v]):
            place(w)
        order.append(v)

    for v in nodes:
        place(v)
    print(f"no cycles among {len(nodes)} modules; in dependency order:")
    print("  " + " ".join(order))
    return 0


if __name__ == "__main__":
    sys.exit(main())
