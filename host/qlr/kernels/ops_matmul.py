"""Op specs of the matmul family: the FP32 matrix-multiply micro-kernels
(see qlr.kernels.spec and docs/kernels.md)."""

from __future__ import annotations

import numpy as np

from qlr.kernels.spec import Arrays, Dims, OpSpec, Param, Params, TensorSpec, dims


def _rand_f32(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


# ---- matmul_f32_{nn,nt,tn} -----------------------------------------------------------------

def _matmul(kind: str) -> OpSpec:
    def a_shape(p: Dims) -> tuple[int, ...]:
        return (p["k"], p["m"]) if kind == "tn" else (p["m"], p["k"])

    def b_shape(p: Dims) -> tuple[int, ...]:
        return (p["n"], p["k"]) if kind == "nt" else (p["k"], p["n"])

    def derive(a: Arrays) -> Params:
        A, B = a["a"], a["b"]
        m, k = (A.shape[1], A.shape[0]) if kind == "tn" else A.shape
        n = B.shape[0] if kind == "nt" else B.shape[1]
        return {"m": int(m), "k": int(k), "n": int(n)}

    def golden(a: Arrays, p: Params) -> Arrays:
        A = a["a"].T if kind == "tn" else a["a"]
        B = a["b"].T if kind == "nt" else a["b"]
        # float64 product, rounded once: the reference the FP32 tolerance is measured against.
        prod = A.astype(np.float64) @ B.astype(np.float64)
        c = prod + (a["c"] if p["accumulate"] else a["bias"][None, :])
        return {"c": c.astype(np.float32)}

    def make_inputs(params: Params, rng: np.random.Generator) -> Arrays:
        p = dims(params)
        return {"a": _rand_f32(rng, a_shape(p)), "b": _rand_f32(rng, b_shape(p)),
                "bias": _rand_f32(rng, (p["n"],)), "c": _rand_f32(rng, (p["m"], p["n"]))}

    return OpSpec(
        name=f"matmul_f32_{kind}", family="matmul",
        params=(Param("m", min=1), Param("n", min=1), Param("k", min=1),
                Param("accumulate", default=0, doc="0: C = A*B + bias; 1: C += A*B", min=0, max=1)),
        tensors=(TensorSpec("a", "float32", "in", a_shape), TensorSpec("b", "float32", "in", b_shape),
                 TensorSpec("bias", "float32", "in", lambda p: (p["n"],)),
                 TensorSpec("c", "float32", "inout", lambda p: (p["m"], p["n"]))),
        derive=derive, golden=golden, macs=lambda p: p["m"] * p["n"] * p["k"], make_inputs=make_inputs,
        doc={"nn": "C = A[M,K] B[K,N]", "nt": "C = A[M,K] B[N,K]^T", "tn": "C = A[K,M]^T B[K,N]"}[kind]
        + " (+ bias, or += with accumulate=1)",
    )


OPS: list[OpSpec] = [_matmul("nn"), _matmul("nt"), _matmul("tn")]
