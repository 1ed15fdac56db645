"""`qlr_commands.h`: the firmware's view of `qlr.link.commands`.

Per command `NAME` (code `QLR_CMD_NAME`), for each payload with fields (`request`, `reply`):

    #define QLR_NAME_REQUEST_SIZE  <bytes of the fixed part>
    typedef struct { <one member per field> } qlr_name_request_t;
    qlr_link_status_t qlr_name_request_decode(const qlr_frame_t *req, qlr_name_request_t *r,
                                              qlr_link_reply_t *reply);   (length, reserved bytes)
    size_t qlr_name_reply_encode(uint8_t *d, const qlr_name_reply_t *r);   (returns the bytes)

plus, for replies with records, `qlr_name_record_t` and `qlr_name_record_encode`. A handler that
reads `r.n_lr` or fills `.tensors = n` does not compile when the description drops or renames the
field; sizes and offsets can only come from the description.
"""

from __future__ import annotations

from collections.abc import Iterator

from qlr.link.commands import COMMANDS
from qlr.link.layout import TYPES, Command, Field, Layout

GET = {
    "u8": "p[{at}]",
    "u16": "(uint16_t)(p[{at}] | (uint16_t)(p[{at} + 1u] << 8))",
    "u32": "qlr_link_get_u32(p + {at})",
    "u64": "((uint64_t)qlr_link_get_u32(p + {at}) | (uint64_t)qlr_link_get_u32(p + {at} + 4u) << 32)",
    "i32": "(int32_t)qlr_link_get_u32(p + {at})",
}
PUT = {
    "u8": "d[{at}] = {v};",
    "u16": "qlr_link_put_u16(d + {at}, {v});",
    "u32": "qlr_link_put_u32(d + {at}, {v});",
    "u64": "qlr_link_put_u64(d + {at}, {v});",
    "i32": "qlr_link_put_u32(d + {at}, (uint32_t){v});",
}


def _members(layout: Layout) -> list[str]:
    out = []
    for f in layout.fields:
        if f.type == "pad":
            continue
        arr = f"[{f.count}]" if f.count != 1 else ""
        doc = f" /* {f.doc} */" if f.doc else ""
        out.append(f"    {TYPES[f.type][2]} {f.name}{arr};{doc}")
    return out


def _struct(tname: str, layout: Layout) -> list[str]:
    return ["typedef struct {", *_members(layout), f"}} {tname};"]


def _each(f: Field, at: int) -> Iterator[tuple[int, str]]:
    """(element offset, index suffix) of every element of a field."""
    step = TYPES[f.type][1]
    for k in range(f.count):
        yield at + k * step, (f"[{k}]" if f.count != 1 else "")


def _decoder(cmd: Command, prefix: str, layout: Layout) -> list[str]:
    size, name = layout.size, cmd.name
    exact = not layout.variable
    cond = f"req->len != {size}u" if exact else f"req->len < {size}u"
    want = f"{size} bytes" if exact else f"at least {size} bytes"
    lines = [f"static inline qlr_link_status_t {prefix}_request_decode(const qlr_frame_t *req, {prefix}_request_t *r,",
             f"{' ' * (len(prefix) + 47)}qlr_link_reply_t *reply)", "{",
             f"    if ({cond}) {{", f'        reply->message = "{name} takes {want}";',
             "        return QLR_LINK_E_LENGTH;", "    }", "    const uint8_t *p = req->payload;"]
    at = 0
    for f in layout.fields:
        if f.type == "pad":
            zero = " || ".join(f"p[{at + k}] != 0u" for k in range(f.count))
            last = at + f.count - 1
            where = f"byte {at}" if f.count == 1 else f"bytes {at}..{last}"
            lines += [f"    if ({zero}) {{", f'        reply->message = "{name}: reserved {where} must be zero";',
                      "        return QLR_LINK_E_ARGUMENT;", "    }"]
        else:
            for eat, idx in _each(f, at):
                if f.type == "f32":
                    lines.append(f"    {{ uint32_t u = qlr_link_get_u32(p + {eat}u); memcpy(&r->{f.name}{idx}, &u, 4u); }}")
                else:
                    lines.append(f"    r->{f.name}{idx} = {GET[f.type].format(at=f'{eat}u')};")
        at += f.size
    if not any(f.type != "pad" for f in layout.fields):
        lines.append("    (void)r;")
    lines += ["    return QLR_LINK_OK;", "}"]
    return lines


def _encoder(fname: str, tname: str, layout: Layout) -> list[str]:
    lines = [f"static inline size_t {fname}(uint8_t *d, const {tname} *r)", "{"]
    at = 0
    for f in layout.fields:
        if f.type == "pad":
            lines.append(f"    memset(d + {at}u, 0, {f.count}u);")
        else:
            for eat, idx in _each(f, at):
                if f.type == "f32":
                    lines.append(f"    {{ uint32_t u; memcpy(&u, &r->{f.name}{idx}, 4u); qlr_link_put_u32(d + {eat}u, u); }}")
                else:
                    lines.append("    " + PUT[f.type].format(at=f"{eat}u", v=f"r->{f.name}{idx}"))
        at += f.size
    lines += [f"    return {layout.size}u;", "}"]
    return lines


def _command(cmd: Command) -> list[str]:
    prefix = "qlr_" + cmd.name.lower()
    up = cmd.name
    out = ["", f"/* ---- {cmd.name} (0x{cmd.code:02X}): {cmd.source} ---- */"]
    if cmd.request.fields:
        out += [f"#define QLR_{up}_REQUEST_SIZE {cmd.request.size}u", *_struct(f"{prefix}_request_t", cmd.request),
                *_decoder(cmd, prefix, cmd.request)]
    if cmd.reply.fields:
        out += [f"#define QLR_{up}_REPLY_SIZE {cmd.reply.size}u", *_struct(f"{prefix}_reply_t", cmd.reply),
                *_encoder(f"{prefix}_reply_encode", f"{prefix}_reply_t", cmd.reply)]
    if cmd.reply.records is not None:
        rec = cmd.reply.records
        out += [f"#define QLR_{up}_RECORD_SIZE {rec.size}u", *_struct(f"{prefix}_record_t", rec),
                *_encoder(f"{prefix}_record_encode", f"{prefix}_record_t", rec)]
    return out


def header() -> str:
    lines = ["/* Generated from host/qlr/link/commands.py by qlr.codegen.commands_c: do not edit. */",
             "#ifndef QLR_COMMANDS_H", "#define QLR_COMMANDS_H", "", "#include <stddef.h>", "#include <stdint.h>",
             "#include <string.h>", "", '#include "qlr/link.h"', ""]
    lines += [f"#define QLR_CMD_{c.name} 0x{c.code:02X}u" for c in COMMANDS]
    for c in COMMANDS:
        lines += _command(c)
    lines += ["", "#endif /* QLR_COMMANDS_H */", ""]
    return "\n".join(lines)
