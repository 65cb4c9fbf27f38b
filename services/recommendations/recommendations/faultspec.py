"""Parsing a POST /admin/faults body exactly as the Rust services do.

The kinds, their fields and rules come from services/fault-kinds.json. The
Rust services parse the same body with serde (services/kit/src/faults/spec.rs);
this module reproduces serde's order of checks and its messages, so a client
gets the same answer from every service of the lab:

1. the body must be JSON (`malformed JSON: ...`) and an object;
2. `duration_ms` (optional) must be a whole number from 1 to the maximum;
3. `kind` must be there and name a kind;
4. the other fields, in sorted key order (serde_json's map order): an unknown
   field or a value of the wrong type stops at the first one;
5. fields without a default must be there (first missing in declared order);
6. the kind's rules, in order;
7. a kind for consumers of events only is refused (this service consumes none).

Messages get the field name prefixed the way the Rust side finds it: the first
field (sorted) whose value is the one quoted in backticks.
"""

import json
import math
from decimal import Decimal
from pathlib import Path

KINDS_FILE = Path(__file__).resolve().parents[2] / "fault-kinds.json"
CATALOGUE = json.loads(KINDS_FILE.read_text())
KINDS = {k["kind"]: k for k in CATALOGUE["kinds"]}
KIND_NAMES = [k["kind"] for k in CATALOGUE["kinds"]]
DEFAULT_DURATION_MS = CATALOGUE["default_duration_ms"]
MAX_DURATION_MS = CATALOGUE["max_duration_ms"]

_UNSIGNED = {"u8": 8, "u16": 16, "u32": 32, "u64": 64, "usize": 64}


class SpecError(Exception):
    """What was wrong with a fault request; str() is the message."""


def _rust_float(f: float) -> str:
    """A float as serde_json writes it (the `ryu` crate's layout): positional
    for 1e-5 <= |f| < 1e16 with at least one decimal, else `1.5e+20`, `1e-7`."""
    sign = "-" if math.copysign(1.0, f) < 0 else ""
    _, digits_t, exp = Decimal(repr(abs(f))).normalize().as_tuple()
    digits = "".join(map(str, digits_t)) or "0"
    if digits == "0":
        return sign + "0.0"
    kk = len(digits) + exp
    if exp >= 0 and kk <= 16:
        text = digits + "0" * exp + ".0"
    elif 0 < kk <= 16:
        text = digits[:kk] + "." + digits[kk:]
    elif -5 < kk <= 0:
        text = "0." + "0" * (-kk) + digits
    else:
        e = kk - 1
        mantissa = digits if len(digits) == 1 else digits[0] + "." + digits[1:]
        text = f"{mantissa}e{'-' if e < 0 else '+'}{abs(e)}"
    return sign + text


def _parse_float(text: str) -> float:
    f = float(text)
    if f in (float("inf"), float("-inf")):
        raise ValueError("number out of range")
    return f


def _rust_debug_str(s: str) -> str:
    escaped = s.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{escaped}"'


def _is_int(v) -> bool:
    # serde_json reads integers outside i64/u64 as floats.
    return isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**64


def _unexpected(v) -> str:
    """serde's `Unexpected` display of a JSON value."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return f"boolean `{'true' if v else 'false'}`"
    if _is_int(v):
        return f"integer `{v}`"
    if isinstance(v, (int, float)):
        return f"floating point `{_rust_float(float(v))}`"
    if isinstance(v, str):
        return f"string {_rust_debug_str(v)}"
    if isinstance(v, list):
        return "sequence"
    return "map"


def _expected(ty: str) -> str:
    return "a string" if ty in ("string", "option_string") else ty


def _check_type(ty: str, v):
    """The value for a field of Rust type `ty`, or raises serde's message."""
    if ty == "option_string" and v is None:
        return None
    if ty in ("string", "option_string"):
        if isinstance(v, str):
            return v
    elif ty == "f64":
        if _is_int(v) or isinstance(v, float):
            return float(v) if isinstance(v, float) else v
    elif ty in _UNSIGNED:
        if _is_int(v):
            if 0 <= v < 2 ** _UNSIGNED[ty]:
                return v
            raise SpecError(f"invalid value: {_unexpected(v)}, expected {ty}")
    raise SpecError(f"invalid type: {_unexpected(v)}, expected {_expected(ty)}")


def _one_of(names) -> str:
    quoted = [f"`{n}`" for n in names]
    if len(quoted) == 1:
        return f"expected {quoted[0]}"
    return "expected one of " + ", ".join(quoted)


def _compact(v) -> str:
    if isinstance(v, float) or (isinstance(v, int) and not isinstance(v, bool) and not _is_int(v)):
        return _rust_float(float(v))
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def _name_the_field(fields: dict, message: str) -> str:
    parts = message.split("`")
    if len(parts) < 2:
        return message
    shown = parts[1]
    for key in sorted(fields):
        val = fields[key]
        if _compact(val) == shown or (isinstance(val, str) and val == shown):
            return f"{key}: {message}"
    return message


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def _deserialize(obj: dict) -> dict:
    kind = obj["kind"]
    if not isinstance(kind, str):
        raise SpecError(f"invalid type: {_unexpected(kind)}, expected variant identifier")
    if kind not in KINDS:
        raise SpecError(f"unknown variant `{kind}`, {_one_of(KIND_NAMES)}")
    schema = KINDS[kind]["fields"]
    by_name = {f["name"]: f for f in schema}
    values = {}
    for key in sorted(obj):
        if key == "kind":
            continue
        if key not in by_name:
            raise SpecError(f"unknown field `{key}`, {_one_of(by_name)}")
        values[key] = _check_type(by_name[key]["type"], obj[key])
    spec = {"kind": kind}
    for field in schema:
        name = field["name"]
        if name in values:
            spec[name] = values[name]
        elif "default" in field:
            spec[name] = field["default"]
        else:
            raise SpecError(f"missing field `{name}`")
    return spec


def _validate(spec: dict) -> None:
    for rule in KINDS[spec["kind"]]["rules"]:
        total = sum(spec[f] for f in rule["fields"])
        if ("min" in rule and total < rule["min"]) or ("max" in rule and total > rule["max"]):
            raise SpecError(rule["message"])
    # This service consumes no events: the consumer kinds are refused.
    if "consumers_only" in KINDS[spec["kind"]]:
        raise SpecError(KINDS[spec["kind"]]["consumers_only"])


def parse(body: bytes) -> tuple[dict, int]:
    """(spec, duration_ms) from a request body, or raises SpecError."""
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_reject_constant, parse_float=_parse_float)
    except (ValueError, UnicodeDecodeError) as e:
        raise SpecError(f"malformed JSON: {e}") from None
    if not isinstance(value, dict):
        raise SpecError("expected a JSON object")
    duration_ms = DEFAULT_DURATION_MS
    if "duration_ms" in value:
        ms = value.pop("duration_ms")
        if not (_is_int(ms) and 0 < ms <= MAX_DURATION_MS):
            raise SpecError(f"duration_ms must be a whole number from 1 to {MAX_DURATION_MS}")
        duration_ms = ms
    if "kind" not in value:
        raise SpecError(f"missing field `kind` (one of {', '.join(KIND_NAMES)})")
    try:
        spec = _deserialize(value)
    except SpecError as e:
        raise SpecError(_name_the_field(value, str(e))) from None
    _validate(spec)
    return spec, duration_ms


def matches(route, actual: str) -> bool:
    """Whether a fault limited to `route` (a prefix of the template) applies."""
    return route is None or actual.startswith(route)
