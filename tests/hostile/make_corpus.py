"""Writes the hostile corpus beside this file (tests/hostile/): `python tests/hostile/make_corpus.py`.

The files are committed; run this only to change them. Cases using them: tests/test_hostile_inputs.py.
"""
# ruff: noqa: E501  (lines of corpus data)
import copy
import csv
import io
import tomllib
from importlib import resources
from pathlib import Path

import tomli_w

H = Path(__file__).resolve().parent
for d in ("scenario", "claims", "programme", "csv"):
    (H / d).mkdir(parents=True, exist_ok=True)
(H / ".gitattributes").write_text("# byte-exact inputs: BOMs, CRLF line ends, NUL bytes and non-UTF-8 text are the point\n* -text -diff\n.gitattributes text\n")

def encoding_variants(write, text: bytes, ext: str, word: bytes, latin1_word: bytes) -> None:
    """The same valid file with a BOM, CRLF line ends, one Latin-1 word, in UTF-16, and empty."""
    write(f"bom.{ext}", raw=b"\xef\xbb\xbf" + text)
    write(f"crlf.{ext}", raw=text.replace(b"\n", b"\r\n"))
    write(f"latin1.{ext}", raw=text.replace(word, latin1_word))
    write(f"utf16.{ext}", raw=text.decode().encode("utf-16"))
    write(f"empty.{ext}", raw=b"")


BASE = '''name = "hostile-base"
[workload]
model = "gpt3-175b"
[cluster]
accelerator = "h100-sxm"
count = 1024
[performance]
mfu = 0.4
[facility]
pue = 1.2
[supply]
mix = "grid"
representative_days = 2
'''
BASE_YAML = '''name: hostile-base
workload:
  model: gpt3-175b
cluster:
  accelerator: h100-sxm
  count: 1024
performance:
  mfu: 0.4
facility:
  pue: 1.2
supply:
  mix: grid
  representative_days: 2
'''
def scenario_file(name, text=None, raw=None):
    p = H / "scenario" / name
    p.write_bytes(raw if raw is not None else text.encode())
def sub(a, b, base=BASE):
    assert a in base, a
    return base.replace(a, b, 1)
scenario_file("base.toml", BASE)
scenario_file("base.yaml", BASE_YAML)
MARK = '[/x] [bold]boom[/bold] [link=file:///etc/passwd]x[/link] [/]'
scenario_file("markup.toml", sub('name = "hostile-base"', f'name = "{MARK}"\ndescription = "[/description] [red]"') +
  '[site]\nname = "[/site] [blink]Abilene"\ngrid_region = "[/grid]"\n[sources]\n"cluster.count" = "[/source] [i]"\n')
scenario_file("markup.yaml", sub('name: hostile-base', f"name: '{MARK}'", BASE_YAML) + "site:\n  name: '[/site]'\n")
scenario_file("unicode.toml", sub('name = "hostile-base"', 'name = "Ābilene ☢ \u202eevil\u202c e\u0301 𝔘𝔫𝔦"'))
scenario_file("bool_count.toml", sub("count = 1024", "count = true"))
scenario_file("bool_yes.yaml", sub("count: 1024", "count: yes", BASE_YAML))
scenario_file("bool_mfu.toml", sub("mfu = 0.4", "mfu = false"))
scenario_file("bool_days.yaml", sub("representative_days: 2", "representative_days: on", BASE_YAML))
scenario_file("dup_key.yaml", sub("  count: 1024\n", "  count: 1024\n  count: 8\n", BASE_YAML))
scenario_file("dup_section.yaml", BASE_YAML + "cluster:\n  accelerator: gb200\n  count: 8\n")
scenario_file("dup_key.toml", sub("count = 1024\n", "count = 1024\ncount = 8\n"))
scenario_file("dup_section.toml", BASE + "[cluster]\naccelerator = 'gb200'\n")
# alias bombs: a small one (10^4 = 10,000 values) and a "billion laughs" (9^9 = 387 million)
scenario_file("bomb_small.yaml", 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\nname: *d\n')
lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
prev = "a"
for n in "bcdefghi":
    lines.append(f"{n}: &{n} [" + ",".join([f"*{prev}"] * 9) + "]")
    prev = n
scenario_file("bomb_big.yaml", "\n".join(lines) + "\nname: *i\n")
scenario_file("bomb_recursive.yaml", "name: &a [*a]\n")
scenario_file("bomb_mapping.yaml", "a: &a {x: 1, y: 1, z: 1, w: 1, v: 1, u: 1, t: 1, s: 1}\n" +
  "".join(f"{chr(98 + i)}: &{chr(98 + i)} {{" + ", ".join(f"k{j}: *{chr(97 + i)}" for j in range(8)) + "}\n" for i in range(7)))
scenario_file("deep_array.toml", "name = " + "[" * 5000 + "]" * 5000 + "\n")
scenario_file("deep_table.toml", "name = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n")
scenario_file("deep_dotted.toml", ".".join(["a"] * 5000) + " = 1\n")
scenario_file("deep_flow.yaml", "name: " + "[" * 5000 + "]" * 5000 + "\n")
scenario_file("deep_block.yaml", "".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "v: 1\n")
scenario_file("inf_pue.toml", sub("pue = 1.2", "pue = inf"))
scenario_file("nan_pue.toml", sub("pue = 1.2", "pue = nan"))
scenario_file("neg_inf_lat.toml", BASE + "[site]\nlat_deg = -inf\n")
scenario_file("inf_tokens.toml", sub('model = "gpt3-175b"', 'model = "gpt3-175b"\ntraining_tokens = inf'))
scenario_file("inf_yaml.yaml", sub("pue: 1.2", "pue: .inf", BASE_YAML))
scenario_file("nan_yaml.yaml", sub("mfu: 0.4", "mfu: .nan", BASE_YAML))
scenario_file("e308_count.toml", sub("count = 1024", "count = 1e308"))
scenario_file("e308_days.toml", sub('model = "gpt3-175b"', 'run_days = 1e308'))
scenario_file("e308_price.toml", sub("count = 1024", "count = 1024\nprice_usd_per_gpu = 1e308"))
scenario_file("e308_tokens.yaml", sub("model: gpt3-175b", "model: gpt3-175b\n  training_tokens: 1.0e+308", BASE_YAML))
scenario_file("huge_int.toml", sub("count = 1024", "count = " + "9" * 5000))
scenario_file("huge_int.yaml", sub("count: 1024", "count: " + "9" * 5000, BASE_YAML))
scenario_file("neg_count.toml", sub("count = 1024", "count = -1024"))
scenario_file("zero_count.toml", sub("count = 1024", "count = 0"))
scenario_file("text_number.toml", sub("count = 1024", 'count = "1024"'))
scenario_file("text_number.yaml", sub("count: 1024", "count: '1,024'", BASE_YAML))
scenario_file("float_count.toml", sub("count = 1024", "count = 1024.5"))
scenario_file("hex_seq.yaml", sub("model: gpt3-175b", "model: gpt3-175b\n  seq_len: 0x800", BASE_YAML))
scenario_file("null_section.yaml", sub("cluster:\n  accelerator: h100-sxm\n  count: 1024\n", "cluster: ~\n", BASE_YAML))
scenario_file("null_value.yaml", sub("count: 1024", "count: ~", BASE_YAML))
scenario_file("list_section.toml", BASE.replace("[facility]\npue = 1.2\n", "facility = [1, 2]\n"))
scenario_file("latin1.toml", raw=sub('name = "hostile-base"', 'name = "Ab\xeflene"').encode("latin-1"))
scenario_file("cp1252.yaml", raw=sub("name: hostile-base", "name: \u201cquoted\u201d", BASE_YAML).encode("cp1252"))
scenario_file("utf16le_bom.toml", raw=BASE.encode("utf-16"))
scenario_file("utf16be_bom.yaml", raw=b"\xfe\xff" + BASE_YAML.encode("utf-16-be"))
scenario_file("utf16le_nobom.toml", raw=BASE.encode("utf-16-le"))
scenario_file("nul.toml", raw=BASE.encode().replace(b"hostile-base", b"hostile\x00base"))
scenario_file("binary.toml", raw=bytes(range(256)) * 4)
scenario_file("bom.toml", raw=b"\xef\xbb\xbf" + BASE.encode())
scenario_file("crlf.toml", raw=BASE.replace("\n", "\r\n").encode())
scenario_file("bom_crlf.yaml", raw=b"\xef\xbb\xbf" + BASE_YAML.replace("\n", "\r\n").encode())
scenario_file("cr_only.toml", raw=BASE.replace("\n", "\r").encode())
scenario_file("empty.toml", "")
scenario_file("empty.yaml", "")
scenario_file("comments_only.toml", "# nothing here\n\n   \n")
scenario_file("empty_doc.yaml", "---\n...\n")
scenario_file("empty_table.toml", "[workload]\n")
scenario_file("list.yaml", "- 1\n- 2\n")
scenario_file("scalar.yaml", "just a string\n")
scenario_file("multi_doc.yaml", BASE_YAML + "---\n" + BASE_YAML)
scenario_file("python_tag.yaml", "name: !!python/object/apply:os.system ['echo pwned']\n")
scenario_file("custom_tag.yaml", sub("count: 1024", "count: !big 1024", BASE_YAML))
scenario_file("bad_yaml.yaml", "name: [unclosed\nworkload: {\n")
scenario_file("bad_toml.toml", "name = 'unterminated\n[workload\n")
scenario_file("tabs.yaml", "name: x\nworkload:\n\tmodel: gpt3-175b\n")
scenario_file("utilisation0.toml", sub("pue = 1.2", "pue = 1.2\nutilisation = 0"))
scenario_file("one_token.toml", sub('model = "gpt3-175b"', 'model = "gpt3-175b"\ntraining_tokens = 1'))
scenario_file("one_token_batch.toml", sub('model = "gpt3-175b"', 'model = "gpt3-175b"\ntraining_tokens = 1\nglobal_batch_tokens = 1'))
scenario_file("tiny_flop.toml", sub('model = "gpt3-175b"', 'training_flop = 1e-300'))
scenario_file("no_layout.toml", BASE.replace("[performance]\nmfu = 0.4\n", "").replace("count = 1024", "count = 3"))
scenario_file("unknown_key.toml", BASE + "[bogus]\nx = 1\n")
scenario_file("unknown_field.toml", sub("count = 1024", "count = 1024\ncuont = 8"))
scenario_file("long_key.toml", BASE + "k" * 20000 + " = 1\n")
scenario_file("long_value.toml", sub('accelerator = "h100-sxm"', 'accelerator = "' + "h" * 20000 + '"'))
scenario_file("control_chars.toml", sub('accelerator = "h100-sxm"', 'accelerator = "h100\\u001b[31m\\r\\nFAKE: ok\\u0007"'))
scenario_file("unknown_accelerator.toml", sub('accelerator = "h100-sxm"', 'accelerator = "[/x]"'))
scenario_file("scenario.txt", BASE)

# ---- claims
claims = tomllib.loads(resources.files("stargate.claims").joinpath("claims.toml").read_text())
FAST = {k: claims[k] for k in ("C1", "C5", "C7")}   # peak FLOP/s, campus power, nuclear: no layout search
def claims_file(name, data=None, raw=None):
    p = H / "claims" / name
    p.write_bytes(raw if raw is not None else tomli_w.dumps(data).encode())
def mut(cid, **kw):
    d = copy.deepcopy(claims[cid])
    d.update(kw)
    return {cid: d}
claims_file("base.toml", FAST)
claims_file("markup.toml", {"[/x]": dict(FAST["C1"], text="[bold]A cluster[/bold] [/] of [link=x]64,000[/link]", sources=["[/source]"]),
                  "[red]C5": dict(FAST["C5"], text="[/claim]")})
claims_file("count_true.toml", mut("C1", count=True))
claims_file("count_huge.toml", mut("C1", count=10**30))
claims_file("count_huge_training.toml", mut("C2", count=10**18))
claims_file("flop_inf.toml", mut("C1", claimed_flop_s=float("inf")))
claims_file("flop_e308.toml", mut("C1", claimed_flop_s=1e308))
claims_file("mw_nan.toml", mut("C5", claimed_mw=float("nan")))
claims_file("gpus_tiny.toml", mut("C4", campus_gpus=5e-324))
claims_file("search_wh_tiny.toml", mut("C9", search_wh=5e-324))
claims_file("query_wh_e308.toml", mut("C9", published_query_wh=[1e308]))
claims_file("query_wh_negative.toml", mut("C9", published_query_wh=[-1.0]))
claims_file("usd_zero.toml", mut("C10", claimed_usd=[0.0]))
claims_file("gw_tiny.toml", mut("C10", programme_gw=[5e-324]))
claims_file("price_per_rack_negative.toml", {"C10": dict(claims["C10"], published_usd_per_rack={"x": -1.0})})
claims_file("year_huge.toml", mut("C8", claim_year=10**18))
claims_file("years_reversed.toml", mut("C8", update_projection_year=2020, update_base_year=2024))
claims_file("text_number.toml", mut("C5", count="64000"))
claims_file("unknown_accelerator.toml", mut("C1", accelerator="[/x]"))
claims_file("unknown_model.toml", mut("C2", model="gpt-5"))
claims_file("unpriced_accelerator.toml", mut("C10", accelerator="tpu-v5e"))
claims_file("no_kind.toml", {"C1": {k: v for k, v in FAST["C1"].items() if k != "kind"}})
claims_file("bad_kind.toml", mut("C1", kind="[/x]"))
claims_file("not_a_table.toml", raw=b"C1 = 3\n")
claims_file("unknown_field.toml", mut("C1", bogus=1))
text = tomli_w.dumps(FAST).encode()
encoding_variants(claims_file, text, "toml", b"A cluster", b"A cl\xfcster")
claims_file("deep.toml", raw=b"C1 = " + b"[" * 5000 + b"]" * 5000 + b"\n")
claims_file("dup_key.toml", raw=text + b"\n[C1]\ncount = 1\n")
claims_file("claims.yaml", raw=b"C1: {}\n")

# ---- programme: one campus, one phase
P0 = {"name": "hostile programme", "start_year": 2025.0, "end_year": 2030.0, "gpus_per_mw": 375.0,
      "risks": {"construction_median": 1.15, "construction_sigma": 0.2, "interconnection_median_yr": 0.5,
                "interconnection_sigma": 0.6, "chip_supply_a": 8.0, "chip_supply_b": 2.0, "tariff_probability": 0.4,
                "tariff_capex_increase": 0.1, "overrun_median": 1.1, "overrun_sigma": 0.15},
      "campus": [{"name": "Abilene", "accelerator": "gb200", "phases": [
          {"name": "phase 1", "start": 2025.0, "duration_yr": 1.5, "mw": 200.0}]}]}
def programme_file(name, data=None, raw=None):
    p = H / "programme" / name
    p.write_bytes(raw if raw is not None else tomli_w.dumps(data).encode())
def pm(path, value):
    d = copy.deepcopy(P0)
    x = d
    for k in path[:-1]:
        x = x[k]
    x[path[-1]] = value
    return d
programme_file("base.toml", P0)
m = copy.deepcopy(P0)
m["name"] = "[/x] [bold]programme"
m["campus"][0]["name"] = "[/campus] [red]"
m["campus"][0]["phases"][0]["name"] = "[/phase]"
m["campus"][0]["status"] = "[/status]"
programme_file("markup.toml", m)
programme_file("beta_inf.toml", pm(("risks", "chip_supply_a"), float("inf")))
programme_file("beta_e308.toml", pm(("risks", "chip_supply_b"), 1e308))
programme_file("beta_tiny.toml", pm(("risks", "chip_supply_a"), 5e-324))
programme_file("median_tiny.toml", pm(("risks", "construction_median"), 5e-324))
programme_file("mw_nan.toml", pm(("campus", 0, "phases", 0, "mw"), float("nan")))
programme_file("mw_tiny.toml", pm(("campus", 0, "phases", 0, "mw"), 5e-324))
programme_file("gpus_per_mw_true.toml", pm(("gpus_per_mw",), True))
programme_file("buildings_true.toml", pm(("campus", 0, "phases", 0, "buildings"), True))
programme_file("text_number.toml", pm(("start_year",), "2025"))
programme_file("year_huge.toml", pm(("end_year",), 10**30))
programme_file("unknown_accelerator.toml", pm(("campus", 0, "accelerator"), "[/x]"))
programme_file("no_campus.toml", pm(("campus",), []))
text = tomli_w.dumps(P0).encode()
encoding_variants(programme_file, text, "toml", b"Abilene", b"Ab\xeflene")
programme_file("deep.toml", raw=b"name = " + b"[" * 5000 + b"]" * 5000 + b"\n")
programme_file("dup_key.toml", raw=text + b"\nname = 'again'\n")

# ---- validation CSVs: the first development row, mutated
src = (H.parents[1] / "src" / "stargate" / "data" / "validation" / "dev.csv").read_text()
rows = list(csv.DictReader(io.StringIO(src)))
hdr = list(rows[0])
base = dict(rows[0])
def csv_file(name, muts=None, raw=None, many=None):
    p = H / "csv" / name
    if raw is None:
        out = io.StringIO()
        w = csv.DictWriter(out, hdr, lineterminator="\n")
        w.writeheader()
        for r in many or [dict(base, **(muts or {}))]:
            w.writerow(r)
        raw = out.getvalue().encode()
    p.write_bytes(raw)
csv_file("ok.csv")
csv_file("two_rows.csv", many=[base, dict(rows[1])])
csv_file("markup.csv", {"id": "[/x] [bold]row", "source": "[/source] [red]", "model": "[/model]", "notes": "[/]"})
for col, val, tag in [("seq_len", "0", "zero"), ("seq_len", "inf", "inf"), ("seq_len", "nan", "nan"),
                      ("seq_len", "abc", "text"), ("seq_len", "", "empty"), ("seq_len", "2.5", "fraction"),
                      ("seq_len", "true", "bool"), ("value", "inf", "inf"), ("value", "", "empty"),
                      ("value", "1e400", "overflow"), ("value", "-1", "negative"), ("n_accel", "nan", "nan"),
                      ("n_accel", "0", "zero"), ("tp", "0", "zero"), ("tp", "1.5", "fraction"),
                      ("global_batch_seqs", "abc", "text"), ("params_b", "inf", "inf"), ("layers", "", "empty"),
                      ("metric", "[/x]", "markup"), ("accelerator", "[/x]", "markup"), ("date", "2021-13", "bad")]:
    csv_file(f"{col}_{tag}.csv", {col: val})
for col in ("layers", "seq_len", "vocab", "global_batch_seqs", "n_accel"):
    csv_file(f"{col}_e308.csv", {col: "1e308"})
good = (H / "csv" / "ok.csv").read_bytes()
encoding_variants(csv_file, good, "csv", b"Narayanan", b"Nara\xefyanan")
csv_file("header_only.csv", raw=good.split(b"\n")[0] + b"\n")
csv_file("missing_columns.csv", raw=b"id,source\nx,y\n")
csv_file("unterminated_quote.csv", raw=good.split(b"\n")[0] + b'\n"abc,def\n')
csv_file("short_row.csv", raw=good.split(b"\n")[0] + b"\nx,y\n")
print("written", sum(1 for _ in H.rglob("*") if _.is_file()))
