# Regenerate: .services/mlflow-venv/bin/python scripts/pyyaml-corpus/generate.py  (from /work/main; writes packages/store-file/test/fixtures/pyyaml-corpus.json)
"""Ground truth for @mlstore/store-file's py-yaml.ts and py-float.ts, produced by real PyYAML.

Sections of the JSON written:
- dump:       {in, out, pyOut?}: `out` is MLflow's write_yaml call (CSafeDumper, i.e. libyaml) on `in`;
              pyOut is the pure-Python SafeDumper's output where it differs (MLflow's fallback).
- load:       {text, expected | error | nonMapping}: yaml.load(text, Loader=CSafeLoader).
- floats:     [hex of the IEEE-754 bits, repr(x)].
- parseFloat: [text, hex bits of float(text) or null when Python raises ValueError].
The RNG is seeded, so reruns produce the same file.
"""

import base64
import datetime
import json
import math
import random
import struct
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "packages/store-file/test/fixtures/pyyaml-corpus.json"
rng = random.Random(20240611)


def dump_c(data):
    return yaml.dump(data, default_flow_style=False, allow_unicode=True, sort_keys=True, Dumper=yaml.CSafeDumper)


def dump_py(data):
    return yaml.dump(data, default_flow_style=False, allow_unicode=True, sort_keys=True, Dumper=yaml.SafeDumper)


# ---------------------------------------------------------------------------------------------
# Adversarial strings
# ---------------------------------------------------------------------------------------------

ADVERSARIAL = [
    "", " ", "  ", "a", " a", "a ", " a ", "a  b", "a b", "a   b    c",
    "'", "''", "a'b", "'a'", "it's", '"', 'a"b', '"a"', "\\", "a\\b", "\\n",
    ":", "a:", ":a", "a:b", "a: b", "a :b", "a::b", "http://x", "::", ": a",
    "#", "#a", "a#b", "a #b", "a# b", " #", "- x", "-x", "-", "--", "---", "--- x", "---x", "...", "....", "... x",
    "? x", "?x", "?", "a?b", "@", "@x", "`x`", "a`b", "%", "%x", "!", "!x", "!!str", "&", "&a", "*", "*a",
    "|", "|x", ">", ">x", "a|b", "a>b", "{", "{}", "[", "[]", "]", "}", ",", "a,b", ",a", "a, b", "a[b]", "a{b}",
    "\t", "a\tb", "\ta", "a\t", "\n", "a\nb", "\na", "a\n", "a\n\nb", "a\n\n\nb", "a \nb", "a\n b", "\n\n",
    "a\nb\nc", "line one\nline two", "\r", "a\rb", "a\r\nb", "\x7f", "\x85", "a\x85b", "\u2028", "a\u2028b",
    "a\u2029b", "a\u2028\nb", "a\n\u2028b", "a\u2028 b", "\u2028a", "a\u2028", "\ufeff", "a\ufeffb", "\xa0",
    "a\xa0b", "\xa0a", "\u00e9", "caf\u00e9", "\u65e5\u672c\u8a9e", "\u4e2d\u6587 \u7a7a\u683c", "\U0001f600",
    "a\U0001f600b", "\U0001d11e", "\U0010fffd", "\ue000", "\ufffd", "\ufffe", "\uffff", "\ud7ff", "\x00",
    "a\x00b", "\x80", "\x9f", "\u200b", "\u3000x", "x\u3000",
    "null", "Null", "NULL", "nUll", "~", "true", "True", "TRUE", "tRue", "false", "False", "FALSE",
    "yes", "Yes", "YES", "yEs", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N",
    "0", "1", "-1", "+1", "-0", "+0", "00", "07", "08", "09", "0o17", "0x1F", "0x1f", "0X1F", "0b101", "0b",
    "0x", "0b_", "1_000", "_1", "1_", "1__0", "1e3", "1E3", "1e+3", "1.0e+3", "1.e3", "1.", "1._", ".5", "+.5",
    "-.5", ".", "1.5", "-1.5", "1.5e-3", "1.5E+03", "6.02e23", ".inf", ".Inf", ".INF", "-.inf", "+.inf", ".nan",
    ".NaN", ".NAN", "-.nan", "nan", "inf", "NaN", "Infinity", "-Infinity", "1:20", "1:20:30", "-1:20", "1:60",
    "1:20.5", "0:20", "190:20:30", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5",
    "2001-12-15T02:59:43.1Z", "2001-12-14 21:59:43", "2001-1-1", "2001-01-01 1:00:00", "20011214", "2001-12-14 ",
    "<<", "<", "=", "==", "123456789012345678901234567890", "1795457528528", "3.14159265358979",
    "file:///tmp/x", "http://a.b/c?d=e&f=g#h", "s3://bucket/path with space", "a/b.c", "mlflow.runName",
    "{\"s\":1}", "[1, 2]", "{a: 1}", "key: value", "- item", "a\\tb", "%YAML 1.1", "!!binary", "C:\\path\\x",
]

for code in range(0x01, 0x20):
    ADVERSARIAL.append(chr(code))
    ADVERSARIAL.append("x" + chr(code) + "y")

KEYS = [
    "a", "name", "mlflow.source.git.commit", "mlflow.user", "a/b", "a.b/c", "\u00e9", "\u043a\u043b\u044e\u0447",
    "\u65e5\u672c", "\U0001f600key", "key with spaces", "k" * 100, "k" * 127, "k" * 128, "k" * 129,
    "\u00e9" * 64, "\u00e9" * 65, "\u65e5" * 42, "\u65e5" * 43, "x" * 126 + "\u00e9", "x" * 127 + "\u00e9",
    "z" * 200, "long key with spaces " * 10, "\ufb01", "\U00010000", "\uffff", "_", "-k", "k-", "UPPER",
]

WORDS = ["the", "a", "model", "run", "mlflow", "artifact", "x", "experiment", "metric", "param", "loss", "acc",
         "\u00e9t\u00e9", "\u65e5\u672c", "it's", 'say "hi"', "k:v", "#tag", "-", "x" * 30, "y" * 90]


def long_string(length, spaces=True, breaks=False, extra=()):
    parts = []
    total = 0
    while total < length:
        if spaces:
            word = rng.choice(WORDS + list(extra))
            sep = rng.choice([" "] * 12 + ["  ", "   ", "     "]) if rng.random() < 0.95 else ""
        else:
            word = "".join(rng.choice("abcdefghij0123456789-_./") for _ in range(rng.randint(5, 40)))
            sep = ""
        if breaks and rng.random() < 0.08:
            sep = rng.choice(["\n", "\n\n", "\n\n\n"])
        parts.append(word + sep)
        total += len(word) + len(sep)
    return "".join(parts)[:length].strip(" ") or "x"


FUZZ_ALPHABET = (["a", "b", "z", "0", "1", "9", ".", "e", "_", "x", "y", "n", "~"] * 3
                 + [" "] * 8 + ["\n"] * 2
                 + ["'", '"', ":", "#", "-", "?", "\t", "\\", ",", "[", "]", "{", "}", "!", "&", "*", "|", ">",
                    "%", "@", "`", "\r", "\x00", "\x85", "\u2028", "\u2029", "\ufeff", "\xa0", "\u00e9",
                    "\u65e5", "\U0001f600", "\x7f", "\x1b"])


def fuzz_string(max_len):
    return "".join(rng.choice(FUZZ_ALPHABET) for _ in range(rng.randint(0, max_len)))


# ---------------------------------------------------------------------------------------------
# meta.yaml-shaped dictionaries
# ---------------------------------------------------------------------------------------------

def experiment_meta(s):
    return {
        "artifact_location": "file:///tmp/fsx/mlruns/511790089476340655",
        "creation_time": 1795457528528,
        "effective_trace_archival_retention": None,
        "experiment_id": "511790089476340655",
        "last_update_time": 1795457528528,
        "lifecycle_stage": "active",
        "name": s,
        "trace_location": None,
        "workspace": "default",
    }


def run_meta(s):
    return {
        "artifact_uri": "file:///tmp/fsx/mlruns/5117/7a76c9eab96b4a2eac38810ac865526f/artifacts",
        "deleted_time": None,
        "end_time": rng.choice([None, 1795457528560]),
        "entry_point_name": "",
        "experiment_id": "0",
        "lifecycle_stage": rng.choice(["active", "deleted"]),
        "run_id": "7a76c9eab96b4a2eac38810ac865526f",
        "run_name": s,
        "source_name": "",
        "source_type": 4,
        "source_version": "",
        "start_time": 1795457528531,
        "status": rng.randint(1, 5),
        "tags": [],
        "user_id": rng.choice(["unknown", s]),
    }


def input_meta(s):
    return {
        "destination_id": "a7f4729de18103618af1e4d9f167faf7",
        "destination_type": "RUN",
        "source_id": "a7f4729de18103618af1e4d9f167faf7",
        "source_type": "DATASET",
        "tags": rng.choice([{}, {"mlflow.data.context": s}, {s: "train"}, {"a": s, "b": "c", s + "x": s}]),
    }


def dataset_meta(s):
    return {
        "digest": "d1b2c3",
        "name": s,
        "profile": '{"num_rows": 10, "num_elements": 20}',
        "schema": '{"mlflow_colspec": [{"type": "double", "name": "x", "required": true}]}',
        "source": '{"uri": "' + s.replace('"', "") + '"}',
        "source_type": "local",
    }


def logged_model_meta(s):
    return {
        "artifact_location": "file:///tmp/mlruns/0/models/m-abc/artifacts",
        "creation_timestamp": 1795457528528,
        "experiment_id": "0",
        "last_updated_timestamp": 1795457528600,
        "model_id": "m-" + "0123456789abcdef" * 2,
        "model_type": rng.choice([None, "agent", s]),
        "name": s,
        "source_run_id": rng.choice([None, "7a76c9eab96b4a2eac38810ac865526f"]),
        "status": rng.choice([1, 2, 3]),
        "status_message": rng.choice([None, s]),
        "tags": rng.choice([{}, {"mlflow.user": s}]),
        "params": {},
    }


SHAPES = [experiment_meta, run_meta, input_meta, dataset_meta, logged_model_meta]


def build_cases():
    cases = []
    for s in ADVERSARIAL:
        cases.append({"k": s})
        cases.append({s: "v"})
        cases.append({"tags": {s: s}, "z": s})
        cases.append(rng.choice(SHAPES)(s))
    for key in KEYS:
        cases.append({key: "value", "b": {key: key}})
        cases.append({key: rng.choice(ADVERSARIAL)})
    # Long values starting at many columns, so folding meets the 80-column limit everywhere.
    for i in range(160):
        key = "k" * rng.randint(1, 60)
        kind = i % 8
        if kind == 0:
            s = long_string(rng.randint(100, 2000))
        elif kind == 1:
            s = long_string(rng.randint(100, 600), spaces=False)
        elif kind == 2:
            s = long_string(rng.randint(100, 1200), breaks=True)
        elif kind == 3:
            s = long_string(rng.randint(100, 800), extra=["\t", "\U0001f600", "a\\b", "\x85"])
        elif kind == 4:
            s = long_string(rng.randint(100, 800), breaks=True, extra=["\u2028", " \n", "\n "])
        elif kind == 5:
            s = long_string(rng.randint(81, 200), extra=["yes", "'", "#", ": x"]) + rng.choice(["", " ", "\n"])
        elif kind == 6:
            s = rng.choice(["", " "]) + long_string(rng.randint(100, 400)) + rng.choice(["", " "])
        else:
            s = long_string(rng.randint(130, 400))
        shape = rng.random()
        if shape < 0.4:
            cases.append({key: s})
        elif shape < 0.6:
            cases.append({"tags": {key: s}})
        elif shape < 0.8:
            cases.append({s: key})  # a long key: `? key` / `: value`, folded like a value
        else:
            cases.append({s: {key: s}, "tags": {s: key}})
    for _ in range(1500):
        n = rng.randint(1, 4)
        d = {}
        for _ in range(n):
            r = rng.random()
            key = fuzz_string(12) if r < 0.3 else rng.choice(["name", "tags", "user_id", "a", "b"])
            v = rng.random()
            if v < 0.7:
                d[key] = fuzz_string(30 if rng.random() < 0.8 else 300)
            elif v < 0.8:
                d[key] = {fuzz_string(10): fuzz_string(30) for _ in range(rng.randint(0, 3))}
            else:
                d[key] = rng.choice([None, True, False, 0, -7, 2**53, 1795457528528, [], {}])
        cases.append(d)
    return cases


def dump_section():
    out = []
    seen = set()
    differs = lossy = 0
    for data in build_cases():
        key = json.dumps(data, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        text = dump_c(data)
        loaded = yaml.load(text, Loader=yaml.CSafeLoader)
        assert loaded == data and json.dumps(loaded, sort_keys=True) == key, (data, text, loaded)
        py_text = dump_py(data)
        case = {"in": data, "out": text}
        if py_text != text:
            # MLflow falls back to the pure-Python SafeDumper when libyaml is missing; readers must
            # accept those files too. (Raw NEL it writes in quotes reads back as LF: lossy, skipped.)
            differs += 1
            if yaml.load(py_text, Loader=yaml.CSafeLoader) == data:
                case["pyOut"] = py_text
            else:
                lossy += 1
        out.append(case)
    return out, differs, lossy


# ---------------------------------------------------------------------------------------------
# Loads
# ---------------------------------------------------------------------------------------------

LOAD_TEXTS = [
    "", "\n", "# only a comment\n", "---\n", "---\na: 1\n", "a: 1\n...\n", "a: 1\r\nb: two\r\n", "\ufeffa: 1\n",
    "a: yes\nb: No\nc: ON\nd: off\ne: y\nf: n\n",
    "a: 1e3\nb: 1.0e+3\nc: 0o17\nd: 0x1F\ne: 017\nf: 0b101\ng: 1_000\nh: 1:20\ni: 1:20.5\nj: -0\nk: +12\nl: .5\nm: 1.\n",
    "a: .inf\nb: -.Inf\nc: .NaN\nd: ~\ne: null\nf: Null\ng:\nh: \"\"\ni: ''\n",
    "a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\nc: 2001-12-14 21:59:43.10\nd: 2001-12-15T02:59:43.1Z\n",
    'a: "double \\"quoted\\" \\t \\u00e9 \\x41 \\U0001F600"\nb: "esc \\N \\_ \\L \\P \\0 \\/ \\e"\n',
    'a: "folded\n  double \\\n  escaped"\n',
    "a: |\n  line1\n  line2\nb: >\n  folded\n  text\n\n  para\nc: |-\n  x\nd: |+\n  y\n\ne: z\n",
    "a: &x {b: 1, c: [1, 2]}\nd: *x\n",
    "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n",
    "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n",
    "a: !!str 123\nb: !!int \"7\"\nc: !!float \"1\"\nd: ! 12\nd2: ! '12'\nd3: ! x\ne: !!bool \"yes\"\nf: !!null \"\"\ng: !!binary aGVsbG8=\n",
    "a: 1\na: 2\n", "a: 1 # comment\n# full line\nb: two\n", "tags:\n    k: v\n    k2: v2\n",
    "tags: {a: b, c: 1}\nlist: [1, two, 3.5]\n", "seq:\n- a\n- b\n", "seq:\n  - a\n  - b\n", "? complex\n: value\n",
    "\"quoted key\": 1\n'single key': 2\n", "7: int key\n2.5: float key\nnull: null key\ntrue: bool key\n",
    "plain: multi\n  line\n  plain\n", "a: 'folded\n\n  single\n   quoted'\n", "a:    spaced   \n",
    "=: equals key\n", "a: 'x\u2028  y'\n", "a: 'x\u2029\n\n  y'\n", "a: 'x\x85y'\n", "a: 'x\ny'\n", "a: 'x\x85  y'\n", "a: 'x\u2028\n  y'\n",
    "a: 'p\n  q'\nb: 'r\r\n\r\n  s'\n", "a: {}\nb: []\nc: {x: {}}\n", "tags:\n  a: 1\n  b: true\n  c:\n", "a:\nb: 1\n",
    "x: 'it''s'\ny: 'a''''b'\n", "k: v\n\n\n", "k: v", "k: 'v'  \n", "k: [a, b]\n", "k: 0.1\n",
    "__proto__: x\nconstructor: y\n", "tags:\n  __proto__: x\n",
    # errors and non-mappings
    "a: b: c\n", "a: 'x\n", "a: [1, 2\n", "a: *nope\n", "a: =\n", "a: <<\n", "a: !!int abc\n", "a: !foo x\n",
    "a: 1\n---\nb: 2\n", "- 1\n- 2\n", "just a string\n", "42\n", "a: 1\n b: 2\n",
]


def encode(v):
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v if abs(v) <= 2**53 else {"$float": repr(float(v))}
    if isinstance(v, float):
        return v if math.isfinite(v) else {"$float": repr(v)}
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return {"$date": v.isoformat(timespec="milliseconds") + "Z"}
    if isinstance(v, datetime.date):
        return {"$date": v.isoformat() + "T00:00:00.000Z"}
    if isinstance(v, bytes):
        return {"$bytes": base64.b64encode(v).decode()}
    if isinstance(v, list):
        return [encode(x) for x in v]
    if isinstance(v, dict):
        return {(k if isinstance(k, str) else str(k)): encode(x) for k, x in v.items()}
    raise TypeError(type(v))


def load_section():
    out = []
    for text in LOAD_TEXTS:
        try:
            value = yaml.load(text, Loader=yaml.CSafeLoader)
        except Exception:  # YAMLError, and ValueError from constructors (`!!int abc`)
            out.append({"text": text, "error": True})
            continue
        if value is not None and not isinstance(value, dict):
            out.append({"text": text, "nonMapping": True})
            continue
        out.append({"text": text, "expected": encode(value)})
    return out


# ---------------------------------------------------------------------------------------------
# Floats
# ---------------------------------------------------------------------------------------------

def bits(x):
    return struct.pack(">d", x).hex()


def float_section():
    xs = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308,
          -1.7976931348623157e308, 1e-5, 1e-4, 0.0001, 0.00009999999999999999, 1e16, 1e15, 9999999999999998.0,
          123456789012345678.0, 0.1, 0.2, 0.30000000000000004, 1 / 3, 2 / 3, 100.0, 3.0, -1.5, 1e22, 1e21, 1e23,
          1.5e-7, 2**53, 2**53 + 2, 2**63, 2**64, 9007199254740993.0, float("inf"), float("-inf"), float("nan")]
    xs = [float(x) for x in xs]
    for k in range(-325, 310):
        try:
            x = float(f"1e{k}")
        except OverflowError:
            continue
        xs += [x, math.nextafter(x, 0), math.nextafter(x, math.inf), 5 * x, 9.999999999999999 * x]
    for _ in range(1500):
        x = struct.unpack(">d", struct.pack(">Q", rng.getrandbits(64)))[0]
        xs.append(x)
    for _ in range(200):
        xs.append(struct.unpack(">d", struct.pack(">Q", rng.getrandbits(52)))[0])  # subnormals
    for _ in range(300):
        xs.append(float(rng.randint(-(2**60), 2**60)))
    for _ in range(300):
        xs.append(round(rng.uniform(-1e6, 1e6), rng.randint(0, 8)))
    for _ in range(200):
        xs.append(rng.uniform(0, 1) * 10 ** rng.randint(-8, 20))
    table, seen = [], set()
    for x in xs:
        b = bits(x)
        if b not in seen:
            seen.add(b)
            table.append([b, repr(x)])
    return table


PARSE_TEXTS = [
    "nan", "inf", "-inf", "Infinity", "-Infinity", "NaN", "+1.5", "1e+16", "3", "1_000", " 1.5 ", "\t2\n", "1e1_0",
    "1_0.5_5", "1__0", "_1", "1_", "1._5", "1_.5", "0x10", " 1\xa0", "\ufeff1", "infinity", "-iNfinity", "+nan",
    "-nan", "nAn", "inf ", "1.5e", "e5", ".", "5.", ".5", "-.5", "1E5", "1e+0_1", "1e", "++1", "1.5f", "0_0", "00",
    "010", "1e500", "-1e500", "4.9e-325", "Infinity1", "", " ", "-0", "-0.0", "+0", "1.7976931348623157e308",
    "2.4703282292062328e-324", "0.1e-3", "\x1c7\x1f", "7\x1c", "\v7\f", "\x857\u3000", "1 2", "inf inity", "1,5", "0b1", "1e-5",
]


def parse_float_section():
    out = []
    for s in PARSE_TEXTS:
        try:
            out.append([s, bits(float(s))])
        except ValueError:
            out.append([s, None])
    return out


def main():
    dump, differs, lossy = dump_section()
    corpus = {
        "generator": "scripts/pyyaml-corpus/generate.py",
        "pyyaml": yaml.__version__,
        "dump": dump,
        "load": load_section(),
        "floats": float_section(),
        "parseFloat": parse_float_section(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # One case per line keeps diffs of a regenerated corpus readable.
    compact = dict(separators=(",", ":"), ensure_ascii=True)
    sections = []
    for name, value in corpus.items():
        if isinstance(value, list):
            body = ",\n".join(json.dumps(item, **compact) for item in value)
            sections.append(f"{json.dumps(name)}:[\n{body}\n]")
        else:
            sections.append(f"{json.dumps(name)}:{json.dumps(value, **compact)}")
    OUT.write_text("{\n" + ",\n".join(sections) + "\n}\n")
    print(f"{len(dump)} dump cases ({differs} where the pure-Python emitter differs, {lossy} of them lossy), "
          f"{len(corpus['load'])} load cases, {len(corpus['floats'])} floats -> {OUT} "
          f"({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
