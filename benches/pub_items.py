#!/usr/bin/env python3
"""Issue 27 item 4: count the library's public API, what a user of the crate can name.

    python3 benches/pub_items.py [src]          # per-module counts and the total
    python3 benches/pub_items.py src --list     # every counted name, with where it is counted

The module tree is followed from `lib.rs` (`mod x;`, `pub mod x;`, `#[path]`); a module is public
when every `mod` on the way down is plain `pub` (`pub(crate)` and private ones are not). Counted:

- each `pub` item (fn, struct, enum, trait, const, static, type) declared in a public module;
- each name of a `pub use` in a public module (or lib.rs): one more path a user can name, so a
  type reachable at two paths counts twice;
- each `pub fn` / `pub const` in an inherent `impl` of a type counted above, wherever the impl is
  (a public type's methods are its API even when it is declared in a private module).

Not counted: modules themselves (listed apart), fields, enum variants, trait methods, and anything
`pub(crate)`/`pub(super)`, in `#[cfg(test)]` modules, or `pub` inside a private module and not
re-exported (a user cannot name it). Types are matched by name, so two types with one name are
counted as one for their methods: an approximation, close enough for a budget.
"""
import os
import re
import sys

args = [a for a in sys.argv[1:] if not a.startswith('--')]
LIST = '--list' in sys.argv
SRC = args[0] if args else 'src'

ITEM = re.compile(r'^pub\s+(?:unsafe\s+|const\s+(?=fn)|async\s+|extern\s+"C"\s+)*'
                  r'(fn|struct|enum|trait|const|static|type|union)\s+(\w+)')
METHOD = re.compile(r'^    pub\s+(?:unsafe\s+|const\s+(?=fn)|async\s+)*(fn|const)\s+(\w+)')
IMPL = re.compile(r'^impl\b(?:\s*<[^{]*?>)?\s+(?:([\w:]+)(?:<[^{]*?>)?\s+for\s+)?(?:[\w]+::)*(\w+)')
MOD = re.compile(r'^([ \t]*)(#\[path\s*=\s*"([^"]+)"\]\s*)?(pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;', re.M)
PUB_USE = re.compile(r'^pub\s+use\s+([^;]*);', re.M | re.S)


def strip_tests(text):
    """Drop `#[cfg(test)]` inline modules (brace-matched) and `#[cfg(test)] mod x;` lines."""
    out, i = [], 0
    for m in re.finditer(r'#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*([;{])', text):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        if m.group(1) == ';':
            i = m.end()
            continue
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {'{': 1, '}': -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return ''.join(out)


def use_names(body):
    """The names a `pub use` body brings in: `a::{b, c as d, e::f}` gives b, d, f."""
    body = re.sub(r'\s+', ' ', body)
    if '{' not in body:
        leaves = [body]
    else:
        inner = body[body.index('{') + 1:body.rindex('}')]
        leaves, depth, cur = [], 0, ''
        for ch in inner:
            if ch == ',' and depth == 0:
                leaves.append(cur)
                cur = ''
                continue
            depth += {'{': 1, '}': -1}.get(ch, 0)
            cur += ch
        leaves.append(cur)
    names = []
    for leaf in (l.strip() for l in leaves):
        if not leaf:
            continue
        if '{' in leaf:
            names += use_names(leaf)
            continue
        if ' as ' in leaf:
            original, alias = leaf.split(' as ')
            names.append((original.split('::')[-1].strip(), alias.strip()))
        else:
            name = leaf.split('::')[-1].strip()
            if name != 'self':
                names.append((name, name))
    return names


modules = []  # (module path, file, public)


def walk(file, path, public, child_dir):
    modules.append(('::'.join(path) or 'lib.rs', file, public))
    text = strip_tests(open(file).read())
    for m in MOD.finditer(text):
        indent, _, attr_path, vis, name = m.groups()
        if indent:  # inside an inline module: not followed (none in the library)
            continue
        child_public = public and vis is not None and vis.strip() == 'pub'
        if attr_path:
            cand = [os.path.join(os.path.dirname(file), attr_path)]
        else:
            cand = [os.path.join(child_dir, name + '.rs'), os.path.join(child_dir, name, 'mod.rs')]
        for c in cand:
            if os.path.exists(c):
                sub_dir = os.path.dirname(c) if c.endswith('mod.rs') else os.path.join(os.path.dirname(c), name)
                if attr_path:
                    sub_dir = os.path.join(os.path.dirname(c), os.path.splitext(os.path.basename(c))[0])
                walk(c, path + [name], child_public, sub_dir)
                break


walk(os.path.join(SRC, 'lib.rs'), [], True, SRC)

count, listed, public_types = {}, [], set()
texts = {f: strip_tests(open(f).read()) for _, f, _ in modules}
for path, file, public in modules:
    if not public:
        continue
    n = 0
    for i, line in enumerate(texts[file].split('\n')):
        m = ITEM.match(line)
        if m:
            n += 1
            public_types.add(m.group(2))
            listed.append(f'{path}::{m.group(2)} ({file}:{i + 1})')
    for m in PUB_USE.finditer(texts[file]):
        for original, alias in use_names(m.group(1)):
            n += 1
            public_types.add(original)
            listed.append(f'{path}::{alias} (pub use)')
    count[path] = n

for path, file, public in modules:
    current = None
    for i, line in enumerate(texts[file].split('\n')):
        m = IMPL.match(line)
        if m:
            current = m.group(2) if m.group(1) is None else None
            continue
        if line.startswith('}'):
            current = None
            continue
        m = METHOD.match(line)
        if m and current in public_types:
            count[path] = count.get(path, 0) + 1
            listed.append(f'{current}::{m.group(2)} (method, {file}:{i + 1})')

if LIST:
    for name in listed:
        print(name)
for k, v in sorted(count.items(), key=lambda kv: (-kv[1], kv[0])):
    if v:
        print(f'{v:5} {k}')
public_mods = [p for p, _, pub in modules if pub and p != 'lib.rs']
print('public modules', len(public_mods), ' '.join(public_mods))
print('total', sum(count.values()))
