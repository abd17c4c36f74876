// GEMM for NDRange devices, tuned for PoCL's CPU (pthread) device: float32 SGEMM and exact
// int8 x int8 -> int32 GEMM. Semantics: GemmCall in python/fpgaops/ops/gemm.py; launcher:
// python/fpgaops/backends/opencl/gemm.py.
//
// Structure (a BLIS-style GEMM in two launches):
//
//   gemm_pack_f32/_i8  op(A_p) (M x K) -> Ap[p][ib][k][BM]  row panels of BM rows, k-major,
//                                                            zero rows past M
//                      op(B_p) (K x N) -> Bp[p][jb][k][BN]  column panels of BN columns,
//                                                            k-major, zero columns past N
//   gemm_f32/_i8    one work-item = one work-group = one BM x BN tile of Y over the whole K:
//                   per k, NV = BN / VEC vector loads of B, BM scalar loads of A broadcast to
//                   vectors, BM * NV vector FMAs into BM * NV register accumulators (the BLIS
//                   micro-kernel). Epilogue: alpha, beta * C (or the bias row), edge masking.
//
// Why this shape on PoCL:
//   * PoCL's pthread device runs one work-group as a plain function call on one worker thread
//     and hands consecutive work-group ids to a thread in chunks. Work-items of a group are
//     serialised by loops the kernel compiler generates, and it vectorises across them only
//     when its loop vectoriser succeeds; explicit vector types always map to AVX2 registers.
//     So the kernels use reqd_work_group_size(1,1,1) and put all the parallelism inside the
//     work-item as explicit vectors: with BM = 6, BN = 16, VEC = 8 the inner loop compiles to
//     2 vmovups + 6 vbroadcastss + 12 vfmadd231ps (12 accumulators + 2 B + 1 A of the 16 ymm
//     registers), exactly the Haswell BLIS micro-kernel.
//   * Packing makes both operands unit-stride streams whatever the transposes, batch strides
//     and edges, so the micro-kernel has no bounds checks and no transpose variants; it costs
//     O(MK + KN) against O(MNK), 5-10% of the time at M = N = K = 1024. B must be packed: a
//     row-major B panel read in place has a power-of-two row stride for typical N, so its K
//     rows fall into a handful of cache sets and thrash L1/L2. Reading A in place (6 row
//     streams, clamped at the edge) was measured too: the micro-kernel ran 10-25% slower at
//     256..2048, more than the packing it saves.
//   * Work-group id 0 walks down M (ib fastest): a thread's chunk of consecutive groups reuses
//     one B panel (K x BN floats, L1/L2 resident) and streams A panels (BM floats per k).
//   * No local memory and no barriers: there is no cache-managed scratchpad to exploit on a
//     CPU, and barriers force PoCL to split the kernel into work-item loop regions.
//
// NaN/Inf propagate: the build never passes -cl-fast-relaxed-math / -cl-finite-math-only, and
// fma() is IEEE. Zero padding only ever meets padded rows/columns, whose results are dropped.
// When beta == 0, C is never read (BLAS semantics; the reference drops C the same way).
//
// Tunables (kernels/config/fpgaops.toml [gemm.opencl]; the build always passes every one as
// -DGEMM_OPENCL_<KEY>=value; the defaults below only document the shipped values).
#ifndef GEMM_OPENCL_BLOCK_M
#define GEMM_OPENCL_BLOCK_M 6
#endif
#ifndef GEMM_OPENCL_BLOCK_N
#define GEMM_OPENCL_BLOCK_N 16
#endif
#ifndef GEMM_OPENCL_VEC
#define GEMM_OPENCL_VEC 8
#endif
#ifndef GEMM_OPENCL_KC
#define GEMM_OPENCL_KC 256
#endif
#ifndef GEMM_OPENCL_INT8_BLOCK_M
#define GEMM_OPENCL_INT8_BLOCK_M 6
#endif
#ifndef GEMM_OPENCL_INT8_BLOCK_N
#define GEMM_OPENCL_INT8_BLOCK_N 16
#endif
#ifndef GEMM_OPENCL_INT8_VEC
#define GEMM_OPENCL_INT8_VEC 8
#endif
#ifndef GEMM_OPENCL_INT8_PMADDWD
#define GEMM_OPENCL_INT8_PMADDWD 1
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

// A single work-item per work-group: see the header. Every kernel uses it, so the launcher
// always passes local size (1, 1, 1).
#define ONE_ITEM __attribute__((reqd_work_group_size(1, 1, 1)))

// ================================================================================================
// float32
// ================================================================================================
#define BM GEMM_OPENCL_BLOCK_M
#define BN GEMM_OPENCL_BLOCK_N
#define VW GEMM_OPENCL_VEC
#define NV (BN / VW)
#define KC GEMM_OPENCL_KC
#define floatv CAT(float, VW)
#define vloadv CAT(vload, VW)
#define vstorev CAT(vstore, VW)

// Packing: one work-item copies KC values of k of one panel of A or of B. A single launch
// packs both operands (saves a kernel launch, ~10-15 us on PoCL): global
// (ceil(M/BM) + ceil(N/BN), ceil(K/KC), max(batch_a, batch_b)); group ids below mb are A
// panels, the rest B panels. stride_*: elements between consecutive A_p / B_p; the launcher
// passes batch_* = 1 when a stride is 0 (one matrix shared by the whole batch).
inline void pack_a_f32(const __global float *restrict src, __global float *restrict dst, int m, int k,
                       int trans, int i0, int k0, int k1)
{
    if (!trans) {  // A_p is (M, K): BM row streams
        for (int r = 0; r < BM; ++r) {
            if (i0 + r < m) {
                const __global float *row = src + (size_t)(i0 + r) * k;
                for (int kk = k0; kk < k1; ++kk) dst[(size_t)kk * BM + r] = row[kk];
            } else {
                for (int kk = k0; kk < k1; ++kk) dst[(size_t)kk * BM + r] = 0.0f;
            }
        }
    } else {  // A_p is (K, M): BM contiguous values per k
        const int rows = min(BM, m - i0);
        for (int kk = k0; kk < k1; ++kk) {
            const __global float *col = src + (size_t)kk * m + i0;
            for (int r = 0; r < BM; ++r) dst[(size_t)kk * BM + r] = r < rows ? col[r] : 0.0f;
        }
    }
}

inline void pack_b_f32(const __global float *restrict src, __global float *restrict dst, int n, int k,
                       int trans, int j0, int k0, int k1)
{
    const int cols = min(BN, n - j0);
    if (!trans) {  // B_p is (K, N): one contiguous BN-run per k
        if (cols == BN) {
            for (int kk = k0; kk < k1; ++kk) {
                const __global float *row = src + (size_t)kk * n + j0;
#pragma unroll
                for (int v = 0; v < NV; ++v) vstorev(vloadv(v, row), 0, dst + (size_t)kk * BN + v * VW);
            }
        } else {
            for (int kk = k0; kk < k1; ++kk) {
                const __global float *row = src + (size_t)kk * n + j0;
                for (int cc = 0; cc < BN; ++cc) dst[(size_t)kk * BN + cc] = cc < cols ? row[cc] : 0.0f;
            }
        }
    } else {  // B_p is (N, K): BN row streams
        for (int cc = 0; cc < BN; ++cc) {
            if (cc < cols) {
                const __global float *row = src + (size_t)(j0 + cc) * k;
                for (int kk = k0; kk < k1; ++kk) dst[(size_t)kk * BN + cc] = row[kk];
            } else {
                for (int kk = k0; kk < k1; ++kk) dst[(size_t)kk * BN + cc] = 0.0f;
            }
        }
    }
}

__kernel ONE_ITEM void gemm_pack_f32(__global const float *restrict a, __global const float *restrict b,
                                     __global float *restrict ap, __global float *restrict bp, int m, int n,
                                     int k, int trans_a, int trans_b, ulong stride_a, ulong stride_b,
                                     int batch_a, int batch_b)
{
    const int id = get_global_id(0), kb = get_global_id(1), p = get_global_id(2);
    const int mb = (m + BM - 1) / BM, nb = (n + BN - 1) / BN;
    const int k0 = kb * KC, k1 = min(k, k0 + KC);
    if (id < mb) {
        if (p < batch_a)
            pack_a_f32(a + p * stride_a, ap + ((size_t)p * mb + id) * BM * k, m, k, trans_a, id * BM, k0, k1);
    } else if (p < batch_b) {
        const int jb = id - mb;
        pack_b_f32(b + p * stride_b, bp + ((size_t)p * nb + jb) * BN * k, n, k, trans_b, jb * BN, k0, k1);
    }
}

// global (ceil(M/BM), ceil(N/BN), batch). pstride_a / pstride_b: elements between the packed
// operands of consecutive batch entries (0 = shared). C_p[i][j] = c[p*stride_c + i*ldc + j].
__kernel ONE_ITEM void gemm_f32(__global const float *restrict ap, __global const float *restrict bp,
                                __global const float *restrict c, __global float *restrict y,
                                int m, int n, int k, ulong pstride_a, ulong pstride_b, ulong stride_c,
                                int ldc, float alpha, float beta)
{
    const int ib = get_global_id(0), jb = get_global_id(1), p = get_global_id(2);
    const __global float *A = ap + p * pstride_a + (size_t)ib * BM * k;
    const __global float *B = bp + p * pstride_b + (size_t)jb * BN * k;

    floatv acc[BM][NV];  // fully unrolled below, so SROA keeps every element in a register
#pragma unroll
    for (int r = 0; r < BM; ++r)
#pragma unroll
        for (int v = 0; v < NV; ++v) acc[r][v] = (floatv)(0.0f);

    // The micro-kernel. Not unrolled further: the loop overhead is 3 scalar instructions next
    // to BM * NV FMAs, and the out-of-order core hides it.
    for (int kk = 0; kk < k; ++kk) {
        floatv bv[NV];
#pragma unroll
        for (int v = 0; v < NV; ++v) bv[v] = vloadv(v, B);
#pragma unroll
        for (int r = 0; r < BM; ++r) {
            const floatv av = (floatv)(A[r]);
#pragma unroll
            for (int v = 0; v < NV; ++v) acc[r][v] = fma(av, bv[v], acc[r][v]);
        }
        A += BM;
        B += BN;
    }

    // Epilogue: y = alpha * acc + beta * C, rows past M and columns past N dropped.
    const int i0 = ib * BM, j0 = jb * BN;
    const int rows = min(BM, m - i0), cols = min(BN, n - j0);
    __global float *Y = y + ((size_t)p * m + i0) * n + j0;
    const __global float *C = c + p * stride_c + (size_t)i0 * ldc + j0;
    const int use_c = beta != 0.0f;
#pragma unroll
    for (int r = 0; r < BM; ++r) {  // constant trip count: acc stays indexed by constants
        if (r >= rows) continue;
        __global float *yrow = Y + (size_t)r * n;
        const __global float *crow = C + (size_t)r * ldc;
        if (cols == BN) {
#pragma unroll
            for (int v = 0; v < NV; ++v) {
                floatv out = alpha * acc[r][v];
                if (use_c) out += beta * vloadv(v, crow);
                vstorev(out, v, yrow);
            }
        } else {
            float tmp[BN];
#pragma unroll
            for (int v = 0; v < NV; ++v) vstorev(acc[r][v], v, tmp);
            for (int cc = 0; cc < cols; ++cc) {
                float out = alpha * tmp[cc];
                if (use_c) out += beta * crow[cc];
                yrow[cc] = out;
            }
        }
    }
}

// GEMV for a few rows (batch-1 classifiers): no packing. Packing B costs a pass over the whole
// weight matrix per call -- for a 1 x K by K x N product that is as much memory traffic as the
// product itself, and the transposed-B pack walks N row streams a float at a time. Here A (not
// transposed) and B are read in place, and each work-item computes GV consecutive outputs of one
// row: trans_b (B_p is (N, K), the ONNX classifier's layout) as GV row dot products 8 k at a
// time; otherwise (B_p is (K, N)) one GV-wide load of B row k per k. global (ceil(N/GV), M, batch).
#define GV 8
__kernel ONE_ITEM void gemv_f32(__global const float *restrict a, __global const float *restrict b,
                                __global const float *restrict c, __global float *restrict y, int m, int n, int k,
                                int trans_b, ulong stride_a, ulong stride_b, ulong stride_c, int ldc, float alpha,
                                float beta)
{
    const int jb = get_global_id(0), i = get_global_id(1), p = get_global_id(2);
    const int j0 = jb * GV, cols = min(GV, n - j0);
    const __global float *A = a + p * stride_a + (size_t)i * k;
    const __global float *B = b + p * stride_b;
    float out[GV];
    if (trans_b) {
        float8 acc[GV];
#pragma unroll
        for (int r = 0; r < GV; ++r) acc[r] = (float8)(0.0f);
        const int k8 = k & ~7;
        for (int kk = 0; kk < k8; kk += 8) {
            const float8 av = vload8(0, A + kk);
#pragma unroll
            for (int r = 0; r < GV; ++r)  // rows past N re-read row N-1; their results are dropped
                acc[r] = fma(av, vload8(0, B + (size_t)min(j0 + r, n - 1) * k + kk), acc[r]);
        }
#pragma unroll
        for (int r = 0; r < GV; ++r) {
            const float8 v = acc[r];
            float s = ((v.s0 + v.s1) + (v.s2 + v.s3)) + ((v.s4 + v.s5) + (v.s6 + v.s7));
            const __global float *brow = B + (size_t)min(j0 + r, n - 1) * k;
            for (int kk = k8; kk < k; ++kk) s = fma(A[kk], brow[kk], s);
            out[r] = s;
        }
    } else if (cols == GV) {
        float8 acc = (float8)(0.0f);
        for (int kk = 0; kk < k; ++kk) acc = fma((float8)(A[kk]), vload8(0, B + (size_t)kk * n + j0), acc);
        vstore8(acc, 0, out);
    } else {
        for (int r = 0; r < cols; ++r) {
            float s = 0.0f;
            for (int kk = 0; kk < k; ++kk) s = fma(A[kk], B[(size_t)kk * n + j0 + r], s);
            out[r] = s;
        }
    }
    __global float *Y = y + ((size_t)p * m + i) * n + j0;
    const __global float *C = c + p * stride_c + (size_t)i * ldc + j0;
    const int use_c = beta != 0.0f;
    for (int r = 0; r < cols; ++r) Y[r] = use_c ? alpha * out[r] + beta * C[r] : alpha * out[r];
}

// ================================================================================================
// int8 x int8 -> int32 (exact)
// ================================================================================================
// Operands are widened to int16 and packed as k-pairs: Ap[p][ib][k2][IBM] holds (a[i][2q],
// a[i][2q+1]) as one 32-bit word, Bp[p][jb][k2][IBN][2] interleaves the same two k of every
// column. One step of the micro-kernel then multiplies a broadcast A pair by 2*IVW int16 of B
// and adds adjacent products into IVW int32 lanes: exactly x86's vpmaddwd (16 MACs per AVX2
// instruction, twice the float32 FMA rate). |a*b| <= 2^14, so a pair sum fits int16*int16 ->
// int32 without saturation, and K <= gemm.max_k_int8 keeps the int32 running sum exact.
#define IBM GEMM_OPENCL_INT8_BLOCK_M
#define IBN GEMM_OPENCL_INT8_BLOCK_N
#define IVW GEMM_OPENCL_INT8_VEC
#define INV (IBN / IVW)
#define intv CAT(int, IVW)
#define vloadiv CAT(vload, IVW)
#define vstoreiv CAT(vstore, IVW)
#if IVW == 2
#define shortw short4
#define intw int4
#define vloadw vload4
#define convert_intw convert_int4
#define shortv short2
#define convert_shortv convert_short2
#define vstorew vstore4
#define INTERLEAVE ((ushort4)(0, 2, 1, 3))
#elif IVW == 4
#define shortw short8
#define intw int8
#define vloadw vload8
#define convert_intw convert_int8
#define shortv short4
#define convert_shortv convert_short4
#define vstorew vstore8
#define INTERLEAVE ((ushort8)(0, 4, 1, 5, 2, 6, 3, 7))
#elif IVW == 8
#define shortw short16
#define intw int16
#define vloadw vload16
#define convert_intw convert_int16
#define shortv short8
#define convert_shortv convert_short8
#define vstorew vstore16
#define INTERLEAVE ((ushort16)(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15))
#else
#error "GEMM_OPENCL_INT8_VEC must be 2, 4 or 8 (2*VEC int16 of B per vector)"
#endif

#include "pair_dot.h"
#if IVW == 8
#define PAIR_DOT(a, b) PAIR_DOT8(a, b)
#else  // narrower vectors: the portable pair-sum (no vpmaddwd builtin at these widths)
#define PAIR_DOT(a, b) pair_dot_portable((a), (b))
inline intv pair_dot_portable(shortw a, shortw b)
{
    const intw prod = convert_intw(a) * convert_intw(b);
    return prod.even + prod.odd;
}
#endif

// The int8 epilogue of both forms: Y tile = acc (+ C, wrapping), rows past M and columns past N
// dropped. (Inlined: acc stays in registers.)
inline void store_tile_i8(intv acc[IBM][INV], const __global int *restrict c, __global int *restrict y, int m,
                          int n, int ib, int jb, int p, ulong stride_c, int ldc, int beta)
{
    const int i0 = ib * IBM, j0 = jb * IBN;
    const int rows = min(IBM, m - i0), cols = min(IBN, n - j0);
    __global int *Y = y + ((size_t)p * m + i0) * n + j0;
    const __global int *C = c + p * stride_c + (size_t)i0 * ldc + j0;
#pragma unroll
    for (int r = 0; r < IBM; ++r) {
        if (r >= rows) continue;
        __global int *yrow = Y + (size_t)r * n;
        const __global int *crow = C + (size_t)r * ldc;
        if (cols == IBN) {
#pragma unroll
            for (int v = 0; v < INV; ++v) {
                intv out = acc[r][v];
                if (beta) out = CAT(as_int, IVW)(CAT(as_uint, IVW)(out) + CAT(as_uint, IVW)(vloadiv(v, crow)));
                vstoreiv(out, v, yrow);
            }
        } else {
            int tmp[IBN];
#pragma unroll
            for (int v = 0; v < INV; ++v) vstoreiv(acc[r][v], v, tmp);
            for (int cc = 0; cc < cols; ++cc)
                yrow[cc] = beta ? as_int(as_uint(tmp[cc]) + as_uint(crow[cc])) : tmp[cc];
        }
    }
}

#ifndef FPGAOPS_VNNI
// Packing, as for float32 (one launch for both operands), KC k-pairs per work-item:
// global (ceil(M/IBM) + ceil(N/IBN), ceil(ceil(K/2)/KC), max(batch_a, batch_b)).
inline void pack_a_i8(const __global char *restrict src, __global short *restrict dst, int m, int k,
                      int trans, int i0, int q0, int q1)
{
    const int rows = min(IBM, m - i0);
    for (int r = 0; r < IBM; ++r) {
        for (int q = q0; q < q1; ++q) {
            short2 v = (short2)(0);
            if (r < rows) {
                const int kk = 2 * q;
                if (!trans) {
                    const __global char *row = src + (size_t)(i0 + r) * k;
                    v.s0 = row[kk];
                    if (kk + 1 < k) v.s1 = row[kk + 1];
                } else {
                    v.s0 = src[(size_t)kk * m + i0 + r];
                    if (kk + 1 < k) v.s1 = src[(size_t)(kk + 1) * m + i0 + r];
                }
            }
            vstore2(v, (size_t)q * IBM + r, dst);
        }
    }
}

inline void pack_b_i8(const __global char *restrict src, __global short *restrict dst, int n, int k,
                      int trans, int j0, int q0, int q1)
{
    const int cols = min(IBN, n - j0);
    if (!trans) {  // B_p is (K, N): two contiguous column runs per pair
        for (int q = q0; q < q1; ++q) {
            const int kk = 2 * q;
            const __global char *r0 = src + (size_t)kk * n + j0;
            const __global char *r1 = r0 + n;
            const int has1 = kk + 1 < k;
            if (cols == IBN && has1) {  // interleave IVW columns of the two rows per vector
#pragma unroll
                for (int v = 0; v < INV; ++v) {
                    const shortv x0 = convert_shortv(vloadiv(v, r0)), x1 = convert_shortv(vloadiv(v, r1));
                    vstorew(shuffle2(x0, x1, INTERLEAVE), 0, dst + ((size_t)q * IBN + v * IVW) * 2);
                }
            } else {
                for (int cc = 0; cc < IBN; ++cc) {
                    short2 v = (short2)(0);
                    if (cc < cols) {
                        v.s0 = r0[cc];
                        if (has1) v.s1 = r1[cc];
                    }
                    vstore2(v, (size_t)q * IBN + cc, dst);
                }
            }
        }
    } else {  // B_p is (N, K): IBN row streams
        for (int cc = 0; cc < IBN; ++cc) {
            const __global char *row = src + (size_t)(j0 + cc) * k;
            for (int q = q0; q < q1; ++q) {
                short2 v = (short2)(0);
                if (cc < cols) {
                    const int kk = 2 * q;
                    v.s0 = row[kk];
                    if (kk + 1 < k) v.s1 = row[kk + 1];
                }
                vstore2(v, (size_t)q * IBN + cc, dst);
            }
        }
    }
}

__kernel ONE_ITEM void gemm_pack_i8(__global const char *restrict a, __global const char *restrict b,
                                    __global short *restrict ap, __global short *restrict bp, int m, int n,
                                    int k, int trans_a, int trans_b, ulong stride_a, ulong stride_b,
                                    int batch_a, int batch_b)
{
    const int id = get_global_id(0), qb = get_global_id(1), p = get_global_id(2);
    const int mb = (m + IBM - 1) / IBM, nb = (n + IBN - 1) / IBN;
    const int k2 = (k + 1) / 2, q0 = qb * KC, q1 = min(k2, q0 + KC);
    if (id < mb) {
        if (p < batch_a)
            pack_a_i8(a + p * stride_a, ap + ((size_t)p * mb + id) * IBM * 2 * k2, m, k, trans_a, id * IBM, q0, q1);
    } else if (p < batch_b) {
        const int jb = id - mb;
        pack_b_i8(b + p * stride_b, bp + ((size_t)p * nb + jb) * IBN * 2 * k2, n, k, trans_b, jb * IBN, q0, q1);
    }
}

// global (ceil(M/IBM), ceil(N/IBN), batch). beta is 0 or 1; y = A @ B (+ C), the add wrapping
// modulo 2^32 (done in uint: signed overflow is undefined in C).
__kernel ONE_ITEM void gemm_i8(__global const int *restrict ap, __global const short *restrict bp,
                               __global const int *restrict c, __global int *restrict y,
                               int m, int n, int k, ulong pstride_a, ulong pstride_b, ulong stride_c,
                               int ldc, int beta)
{
    const int ib = get_global_id(0), jb = get_global_id(1), p = get_global_id(2);
    const int k2 = (k + 1) / 2;
    // pstride_* count int16 elements; A is read as one 32-bit word per (pair, row).
    const __global int *A = ap + p * (pstride_a / 2) + (size_t)ib * IBM * k2;
    const __global short *B = bp + p * pstride_b + (size_t)jb * IBN * 2 * k2;

    intv acc[IBM][INV];
#pragma unroll
    for (int r = 0; r < IBM; ++r)
#pragma unroll
        for (int v = 0; v < INV; ++v) acc[r][v] = (intv)(0);

    for (int q = 0; q < k2; ++q) {
        shortw bv[INV];
#pragma unroll
        for (int v = 0; v < INV; ++v) bv[v] = vloadw(v, B);
#pragma unroll
        for (int r = 0; r < IBM; ++r) {
            const shortw av = CAT(as_, shortw)((intv)(A[r]));  // the pair, broadcast
#pragma unroll
            for (int v = 0; v < INV; ++v) acc[r][v] += PAIR_DOT(av, bv[v]);
        }
        A += IBM;
        B += 2 * IBN;
    }

    store_tile_i8(acc, c, y, m, n, ib, jb, p, stride_c, ldc, beta);
}
#else  // FPGAOPS_VNNI
// ---- int8 with VNNI (x86 vpdpbusd; -DFPGAOPS_VNNI comes from backends/opencl/isa.py) -----------
// A as u8 quads: word (q, row i) holds a[i][4q..4q+3] + 128 (x ^ 0x80), Ap[p][ib][k4][IBM]; B as
// s8 quads of the same k, Bp[p][jb][k4][IBN] (0 past K, so A's padding bytes multiply 0). One
// step: IBM broadcast A words x INV vectors of 8 B words, QUAD_DOT8 each (32 MACs, twice the
// pair form's rate). sum_k (a + 128) b = sum_k a b + 128 colsum(B)[j]: the column sums come from
// one more QUAD_DOT8 per B vector against bytes of 1, and the epilogue subtracts 128 * colsum.
// Exact: the true sum is within int32 (|a b| <= 2^14, K <= gemm.max_dim), and vpdpbusd and the
// uint subtraction wrap modulo 2^32, so the result is the true sum even where
// sum (a + 128) b leaves int32 (it cannot for K <= 65,793 = isa.VNNI_MAX_TAPS, which the
// launcher requires anyway). Packed elements are bytes: pstride_* count bytes.
#if IVW != 8
#error "the VNNI int8 GEMM needs GEMM_OPENCL_INT8_VEC 8 (the launcher checks it)"
#endif

inline void pack_a_q(const __global char *restrict src, __global uint *restrict dst, int m, int k, int trans,
                     int i0, int q0, int q1)
{
    const int rows = min(IBM, m - i0);
    for (int r = 0; r < IBM; ++r) {
        for (int q = q0; q < q1; ++q) {
            uint v = 0u;
            if (r < rows) {
                for (int j = 0; j < 4; ++j) {
                    const int kk = 4 * q + j;
                    if (kk < k) {
                        const char a = trans ? src[(size_t)kk * m + i0 + r] : src[(size_t)(i0 + r) * k + kk];
                        v |= (uint)(uchar)(a ^ 0x80) << (8 * j);
                    }
                }
            }
            dst[(size_t)q * IBM + r] = v;
        }
    }
}

inline void pack_b_q(const __global char *restrict src, __global uint *restrict dst, int n, int k, int trans,
                     int j0, int q0, int q1)
{
    const int cols = min(IBN, n - j0);
    for (int q = q0; q < q1; ++q) {
        const int k0 = 4 * q;
        if (!trans && cols == IBN && k0 + 4 <= k) {  // four contiguous column runs: bytes -> words
            const __global char *r0 = src + (size_t)k0 * n + j0;
#pragma unroll
            for (int v = 0; v < INV; ++v) {
                const uint8 w = convert_uint8(as_uchar8(vload8(v, r0))) |
                                (convert_uint8(as_uchar8(vload8(v, r0 + n))) << 8) |
                                (convert_uint8(as_uchar8(vload8(v, r0 + 2 * n))) << 16) |
                                (convert_uint8(as_uchar8(vload8(v, r0 + 3 * n))) << 24);
                vstore8(w, v, dst + (size_t)q * IBN);
            }
        } else {
            for (int cc = 0; cc < IBN; ++cc) {
                uint v = 0u;
                if (cc < cols) {
                    for (int j = 0; j < 4; ++j) {
                        const int kk = k0 + j;
                        if (kk < k) {
                            const char b = trans ? src[(size_t)(j0 + cc) * k + kk] : src[(size_t)kk * n + j0 + cc];
                            v |= (uint)(uchar)b << (8 * j);
                        }
                    }
                }
                dst[(size_t)q * IBN + cc] = v;
            }
        }
    }
}

// global (ceil(M/IBM) + ceil(N/IBN), ceil(ceil(K/4)/KC), max(batch_a, batch_b)): KC k-quads each
__kernel ONE_ITEM void gemm_pack_i8(__global const char *restrict a, __global const char *restrict b,
                                    __global uint *restrict ap, __global uint *restrict bp, int m, int n,
                                    int k, int trans_a, int trans_b, ulong stride_a, ulong stride_b,
                                    int batch_a, int batch_b)
{
    const int id = get_global_id(0), qb = get_global_id(1), p = get_global_id(2);
    const int mb = (m + IBM - 1) / IBM, nb = (n + IBN - 1) / IBN;
    const int k4 = (k + 3) / 4, q0 = qb * KC, q1 = min(k4, q0 + KC);
    if (id < mb) {
        if (p < batch_a)
            pack_a_q(a + p * stride_a, ap + ((size_t)p * mb + id) * IBM * k4, m, k, trans_a, id * IBM, q0, q1);
    } else if (p < batch_b) {
        const int jb = id - mb;
        pack_b_q(b + p * stride_b, bp + ((size_t)p * nb + jb) * IBN * k4, n, k, trans_b, jb * IBN, q0, q1);
    }
}

__kernel ONE_ITEM void gemm_i8(__global const int *restrict ap, __global const int *restrict bp,
                               __global const int *restrict c, __global int *restrict y,
                               int m, int n, int k, ulong pstride_a, ulong pstride_b, ulong stride_c,
                               int ldc, int beta)
{
    const int ib = get_global_id(0), jb = get_global_id(1), p = get_global_id(2);
    const int k4 = (k + 3) / 4;
    const __global int *A = ap + p * (pstride_a / 4) + (size_t)ib * IBM * k4;
    const __global int *B = bp + p * (pstride_b / 4) + (size_t)jb * IBN * k4;

    int8 acc[IBM][INV], csum[INV];
#pragma unroll
    for (int v = 0; v < INV; ++v) {
        csum[v] = (int8)(0);
#pragma unroll
        for (int r = 0; r < IBM; ++r) acc[r][v] = (int8)(0);
    }
    const int8 ones = (int8)(0x01010101);
    for (int q = 0; q < k4; ++q) {
        int8 bv[INV];
#pragma unroll
        for (int v = 0; v < INV; ++v) {
            bv[v] = vload8(v, B);
            csum[v] = QUAD_DOT8(csum[v], ones, bv[v]);
        }
#pragma unroll
        for (int r = 0; r < IBM; ++r) {
            const int8 av = (int8)(A[r]);  // the quad, broadcast
#pragma unroll
            for (int v = 0; v < INV; ++v) acc[r][v] = QUAD_DOT8(acc[r][v], av, bv[v]);
        }
        A += IBM;
        B += IBN;
    }
#pragma unroll
    for (int r = 0; r < IBM; ++r)
#pragma unroll
        for (int v = 0; v < INV; ++v) acc[r][v] = as_int8(as_uint8(acc[r][v]) - (as_uint8(csum[v]) << 7));
    store_tile_i8(acc, c, y, m, n, ib, jb, p, stride_c, ldc, beta);
}
#endif  // FPGAOPS_VNNI
