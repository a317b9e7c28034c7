"""Validation CSV reader: bad cells give a row reason, a malformed file one InputError, never a crash."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stargate import catalog
from stargate.cli import app
from stargate.errors import InputError
from stargate.perf.precision import available, likely_precision
from stargate.perf.validation import precision_of, read_rows, validate

DEV = Path(__file__).resolve().parents[1] / "src" / "stargate" / "data" / "validation" / "dev.csv"
runner = CliRunner()


def _write(tmp_path, header, rows, name="rows.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _first_row():
    lines = DEV.read_text(encoding="utf-8").splitlines()
    return lines[0], lines[1]   # megatron-sc21-t1-1.7b-tflops: seq_len 2048, 32 x a100-80gb, fp16, 137 TFLOP/s


def _edit(line, column, value, header):
    import csv
    import io
    cells = next(csv.reader(io.StringIO(line)))
    cells[header.split(",").index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


@pytest.mark.parametrize("column,value,message", [
    ("seq_len", "0", "seq_len = '0': must be >= 1"),
    ("seq_len", "", "seq_len = '': must be given"),
    ("seq_len", "inf", "seq_len = 'inf': must be a finite number"),
    ("hidden", "wide", "hidden = 'wide': must be a finite number"),
    ("n_accel", "nan", "n_accel = 'nan': must be a finite number"),
    ("tp", "1.5", "tp = '1.5': must be a whole number"),
    ("tp", "0", "tp = '0': must be >= 1"),
    ("precision", "fp6", "precision = 'fp6': one of bf16, fp16, fp8, fp4, int8"),
    ("precision", "int8", "precision = 'int8': a100-80gb has no int8 path"),
    ("recompute", "sometimes", "recompute = 'sometimes': one of none, selective, full"),
    ("date", "2021-13", "date = '2021-13': must be YYYY-MM"),
    ("date", "April 2021", "date = 'April 2021': must be YYYY-MM"),
    ("value", "inf", "must be a positive number"),
    ("arch", "hybrid", "arch = 'hybrid': dense or moe"),
])
def test_bad_cell_is_a_row_reason_not_a_crash(tmp_path, column, value, message):
    header, row = _first_row()
    path = _write(tmp_path, header, [_edit(row, column, value, header), row])
    out = runner.invoke(app, ["validate", str(path), "--json"])
    assert out.exit_code == 0, out.output
    bad, good = json.loads(out.stdout)["rows"]
    assert bad["predicted"] is None and message in bad["reason"], bad["reason"]
    assert good["predicted"] == pytest.approx(137, rel=0.1)


def test_scaling_recipes_and_key_case_read_as_the_schema_says(tmp_path):
    # sources name FP8/FP4 by their scaling recipe (Transformer Engine's MXFP8, NVFP4) and keys in capitals: the
    # same dense peak and catalog entry as fp8/fp4 and the lower-case key, said in the reason
    header, row = _first_row()
    fp8 = _edit(_edit(row, "accelerator", "h100-sxm", header), "precision", "fp8", header)
    rows = [fp8, _edit(fp8, "precision", "MXFP8", header), _edit(fp8, "accelerator", " H100-SXM ", header)]
    plain, mx, upper = validate(read_rows(_write(tmp_path, header, rows)))
    assert mx.predicted == pytest.approx(plain.predicted, rel=1e-12) and "precision mxfp8 read as fp8" in mx.reason
    assert upper.predicted == pytest.approx(plain.predicted, rel=1e-12) and upper.accelerator == "h100-sxm"
    assert "read as the catalog key 'h100-sxm'" in upper.reason


def test_unknown_column_is_ignored_and_said(tmp_path):
    header, row = _first_row()
    path = _write(tmp_path, header + ",gpu_colour", [row + ",green"])
    result = validate(read_rows(path))[0]
    assert result.predicted == pytest.approx(137, rel=0.1)
    assert "ignored unknown column gpu_colour" in result.reason


def test_attention_flops_column_sets_the_source_convention(tmp_path):
    # the first dev row is a TFLOP/s row counted with PaLM's 12LHQT attention term (and the recompute pass);
    # giving the source's attention FLOPs as half of 12LHQT must predict what the notes' LLM Foundry convention
    # (6LHQT) predicts, and less with none
    from stargate.perf.validation import prepare_row

    header, row = _first_row()
    base = prepare_row(read_rows(_write(tmp_path, header, [row])).iloc[0])
    spec = base.spec
    palm = 12 * spec.layers * spec.attention_width * spec.attention_context
    rows = [row + f",{palm / 2!r}", row + ",0", row + ","]
    results = validate(read_rows(_write(tmp_path, header + ",attn_flop_per_token", rows, "attn.csv")))
    notes = _edit(row, "notes", "HARDWARE_FLOPS: 6*L*d*s attention", header)
    half_by_notes = validate(read_rows(_write(tmp_path, header, [notes], "notes.csv")))[0]
    assert results[0].predicted == pytest.approx(half_by_notes.predicted, rel=1e-9)
    assert results[1].predicted < results[0].predicted < results[2].predicted   # less attention counted
    assert results[2].predicted == pytest.approx(validate(read_rows(_write(tmp_path, header, [row], "b.csv")))[0]
                                                 .predicted, rel=1e-12)
    bad = validate(read_rows(_write(tmp_path, header + ",attn_flop_per_token", [row + ",-1"], "neg.csv")))[0]
    assert bad.predicted is None and "attn_flop_per_token = '-1': must be >= 0" in bad.reason


@pytest.mark.parametrize("value,predicted,said", [
    ("forced", True, None), ("", True, None), ("real", True, "load_balance real"),
    ("lumpy", False, "load_balance = 'lumpy': one of forced, real"),
])
def test_load_balance_column_is_read(tmp_path, value, predicted, said):
    # a real-routing row is predicted with the calibration's force-balanced load and says it is optimistic
    header, row = _first_row()
    result = validate(read_rows(_write(tmp_path, header + ",load_balance", [row + "," + value])))[0]
    assert (result.predicted is not None) == predicted
    assert "unknown column" not in result.reason
    if said:
        assert said in result.reason
    else:
        assert "load_balance" not in result.reason


def test_empty_optional_cells_are_filled_and_said(tmp_path):
    header, row = _first_row()
    for column in ("vocab", "global_batch_seqs", "layers"):
        row = _edit(row, column, "", header)
    result = validate(read_rows(_write(tmp_path, header, [row])))[0]
    assert result.predicted is not None
    for said in ("vocab not published: 50,257 assumed", "global batch not published",
                 "shape not published"):
        assert said in result.reason


@pytest.mark.parametrize("text,message", [
    ("", "is not a readable CSV"),
    ('id,source\n"unterminated,1\n', "EOF inside string"),
    ("id,id,source\n1,2,3\n", "lacks columns"),
])
def test_malformed_file_is_one_input_error(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_rows(path)
    out = runner.invoke(app, ["validate", str(path)])
    assert out.exit_code == 2 and len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("data", "says"), [
    (b"\xff\xfe\x00\x81id\n", "is UTF-16 text"), (b"id\x00\x81,source\n", "not"),
    (b'id,source\n"a,b\n', "not a readable CSV")])
def test_binary_file_is_one_input_error(tmp_path, data, says):
    path = tmp_path / "bin.csv"
    path.write_bytes(data)
    with pytest.raises(InputError, match=says) as err:
        read_rows(path)
    assert "\n" not in str(err.value) and "bin.csv" in str(err.value)


def test_int8_on_tpu_runs_at_the_int8_peak(tmp_path):
    header, row = _first_row()
    row = _edit(_edit(_edit(row, "accelerator", "tpu-v5e", header), "precision", "int8", header), "metric", "mfu",
                header)
    row = _edit(row, "value", "0.4", header)
    result = validate(read_rows(_write(tmp_path, header, [row])))[0]
    assert result.predicted is not None and 0 < result.predicted < 1, result.reason


def test_precision_paths_by_date():
    # Gaudi 2 FP8 from MLPerf Training v3.1 (Nov 2023); Blackwell NVFP4 from late 2025; TPU v5e int8 (AQT)
    assert not available("gaudi", "fp8", 2023.5) and available("gaudi", "fp8", 2024.0)
    assert not available("blackwell", "fp4", 2025.5) and available("blackwell", "fp4", 2026.0)
    assert available("tpu-v5", "int8", 2024.0) and not available("ampere", "fp8")
    assert likely_precision("blackwell", 2026.0)[0] == "fp8"
    assert likely_precision("gaudi", 2023.0)[0] == "bf16" and likely_precision("gaudi", 2025.0)[0] == "fp8"
    chosen, note = precision_of({"precision": ""}, catalog.accelerator("gaudi2"), 2025.0)
    assert chosen == "fp8" and "precision not stated: fp8 assumed for gaudi" in note
