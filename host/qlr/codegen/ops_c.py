"""`qlr_ops_gen.h` / `qlr_ops_gen.c`: the firmware's view of the op specs (`qlr.kernels`).

Per op `name` (e.g. conv2d_u8s8):

    extern const qlr_op_spec_t qlr_name_spec;      name, parameter and tensor names, each
                                                   parameter's kind (i32 / f32) and range
    typedef struct { int32_t n; ... float lr; } qlr_name_params_t;
    qlr_name_params_t qlr_name_params(const qlr_op_call_t *call);   the call's parameters by name
    enum { QLR_NAME_T_X = 0, ... };                 tensor indices in call order

The op glue (firmware/app/ops/) reads `p.k_h`, never `c->param[5]`; the command server checks
every parameter's range from the spec before the op's own check (relations between parameters,
tensor sizes); KERNEL_LIST reports the names, so a test compares the device's list with the
host's specs on every board.
"""

from __future__ import annotations

from qlr.codegen import c_identifier
from qlr.kernels.registry import all_ops
from qlr.kernels.spec import OpSpec, Param

I32_MIN, I32_MAX = -(2**31), 2**31 - 1


def _range(p: Param) -> tuple[int, int]:
    lo = I32_MIN if p.min is None else int(p.min)
    hi = I32_MAX if p.max is None else int(p.max)
    return lo, hi


def _c_int(v: int) -> str:
    return "(-2147483647 - 1)" if v == I32_MIN else str(v)


def _ops() -> list[OpSpec]:
    return [all_ops()[n] for n in sorted(all_ops())]


def header() -> str:
    lines = ["/* Generated from the op specs (host/qlr/kernels/ops_*.py) by qlr.codegen.ops_c: do not edit. */",
             "#ifndef QLR_OPS_GEN_H", "#define QLR_OPS_GEN_H", "", "#include <stdint.h>", "#include <string.h>", "",
             '#include "qlr/op.h"', ""]
    for s in _ops():
        n = c_identifier(s.name)
        up = n.upper()
        lines += [f"/* ---- {n} ({s.family}) ---- */", f"extern const qlr_op_spec_t qlr_{n}_spec;",
                  f"#define QLR_{up}_NPARAM {len(s.params)}u", f"#define QLR_{up}_NTENSOR {len(s.tensors)}u",
                  "enum {"]
        lines += [f"    QLR_{up}_T_{c_identifier(t.name).upper()} = {i}," for i, t in enumerate(s.tensors)]
        lines += ["};", "typedef struct {"]
        for p in s.params:
            ctype = "float" if p.kind == "f32" else "int32_t"
            lo, hi = _range(p)
            rng = "" if p.kind == "f32" else f" [{lo}, {hi}]" if (lo, hi) != (I32_MIN, I32_MAX) else ""
            lines.append(f"    {ctype} {c_identifier(p.name)};{' /*' + rng + ' */' if rng else ''}")
        lines += [f"}} qlr_{n}_params_t;", f"static inline qlr_{n}_params_t qlr_{n}_params(const qlr_op_call_t *c)",
                  "{", f"    qlr_{n}_params_t p;"]
        for i, p in enumerate(s.params):
            if p.kind == "f32":
                lines.append(f"    memcpy(&p.{p.name}, &c->param[{i}], sizeof p.{p.name});")
            else:
                lines.append(f"    p.{p.name} = c->param[{i}];")
        lines += ["    return p;", "}", ""]
    lines += ["#endif /* QLR_OPS_GEN_H */", ""]
    return "\n".join(lines)


def source() -> str:
    lines = ["/* Generated from the op specs (host/qlr/kernels/ops_*.py) by qlr.codegen.ops_c: do not edit. */",
             '#include "qlr_ops_gen.h"', ""]
    for s in _ops():
        n = s.name
        pnames = ", ".join(f'"{p.name}"' for p in s.params)
        tnames = ", ".join(f'"{t.name}"' for t in s.tensors)
        kinds = ", ".join("1" if p.kind == "f32" else "0" for p in s.params)
        lo = ", ".join(_c_int(_range(p)[0]) for p in s.params)
        hi = ", ".join(_c_int(_range(p)[1]) for p in s.params)
        lines += [f"static const char *const {n}_params[] = {{{pnames}}};",
                  f"static const char *const {n}_tensors[] = {{{tnames}}};",
                  f"static const uint8_t {n}_f32[] = {{{kinds}}};",
                  f"static const int32_t {n}_min[] = {{{lo}}};",
                  f"static const int32_t {n}_max[] = {{{hi}}};",
                  f"const qlr_op_spec_t qlr_{n}_spec = {{",
                  f'    .name = "{n}", .nparam = {len(s.params)}u, .ntensor = {len(s.tensors)}u,',
                  f"    .param_names = {n}_params, .tensor_names = {n}_tensors, .param_f32 = {n}_f32,",
                  f"    .param_min = {n}_min, .param_max = {n}_max,", "};", ""]
    return "\n".join(lines)
