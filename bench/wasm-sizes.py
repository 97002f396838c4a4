#!/usr/bin/env python3
"""What the browser bundle is made of: code bytes per crate, from the function names of a
WASM file built before wasm-bindgen and wasm-opt (they keep the `name` section), e.g.
`target/wasm32-unknown-unknown/wasm-release/frontend.wasm`.

    python3 bench/wasm-sizes.py FILE.wasm [TOP]
"""
import collections, re, sys


def leb(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


data = open(sys.argv[1], "rb").read()
top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
assert data[:4] == b"\0asm", "not a WASM file"
pos, imported, bodies, names, sections = 8, 0, [], {}, collections.Counter()
while pos < len(data):
    sid = data[pos]
    size, pos = leb(data, pos + 1)
    end = pos + size
    if sid == 2:  # imports: functions among them take the first indices
        count, p = leb(data, pos)
        for _ in range(count):
            for _ in range(2):
                length, p = leb(data, p)
                p += length
            kind = data[p]
            p += 1
            if kind == 0:
                _, p = leb(data, p)
                imported += 1
            elif kind == 1:
                p += 1
                flags, p = leb(data, p)
                _, p = leb(data, p)
                if flags & 1:
                    _, p = leb(data, p)
            elif kind == 2:
                flags, p = leb(data, p)
                _, p = leb(data, p)
                if flags & 1:
                    _, p = leb(data, p)
            elif kind == 3:
                p += 2
    if sid == 10:
        count, p = leb(data, pos)
        for _ in range(count):
            length, p = leb(data, p)
            bodies.append(length)
            p += length
    if sid == 0:
        length, p = leb(data, pos)
        name = data[p:p + length].decode()
        p += length
        sections[f"custom:{name}"] += size
        if name == "name":
            while p < end:
                sub = data[p]
                sub_size, p = leb(data, p + 1)
                sub_end = p + sub_size
                if sub == 1:
                    count, q = leb(data, p)
                    for _ in range(count):
                        index, q = leb(data, q)
                        length, q = leb(data, q)
                        names[index] = data[q:q + length].decode(errors="replace")
                        q += length
                p = sub_end
    else:
        sections[{1: "type", 2: "import", 3: "function", 5: "memory", 6: "global", 7: "export",
                  9: "elem", 10: "code", 11: "data", 12: "datacount"}.get(sid, str(sid))] += size
    pos = end


def crate(name):
    """The crate a function comes from: the first path segment of its symbol."""
    if name.startswith("_R"):  # v0 mangling: the first crate root is `C[s<hash>_]<len><name>`
        m = re.search(r"C(?:s[0-9A-Za-z]*_)?(\d+)", name)
        if m:
            start = m.end()
            return name[start:start + int(m.group(1))]
    m = re.match(r"_ZN(\d+)", name)  # legacy mangling
    if m:
        seg = name[m.end():m.end() + int(m.group(1))]
        if seg.startswith("_$LT$"):
            name = seg
        else:
            return seg
    # Impl blocks, `<&mut T as Trait>`: the first path inside.
    name = re.sub(r"^_?(\$LT\$|\$RF\$|mut\$u20\$|dyn\$u20\$|\$u5b\$|<|&|mut |dyn |\[)+", "", name)
    seg = re.split(r"::|\.\.|<|\$| ", name)[0]
    return seg or "?"


per_crate = collections.Counter()
for i, length in enumerate(bodies):
    per_crate[crate(names.get(imported + i, "?"))] += length
print("sections:", ", ".join(f"{k} {v:,}" for k, v in sections.most_common()))
print(f"code: {sum(bodies):,} bytes in {len(bodies)} functions; by crate:")
for name, size in per_crate.most_common(top):
    print(f"{size:>10,}  {name}")
