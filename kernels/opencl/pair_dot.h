// PAIR_DOT8(a, b): short16 x short16 -> int8, lane l = a[2l]*b[2l] + a[2l+1]*b[2l+1], exact (int8
// operands widened to int16: |a*b| <= 2^15, the pair sum fits int32). This is x86's vpmaddwd, 16
// MACs per AVX2 instruction, the int8 inner product of gemm.cl, conv2d.cl and dwconv.cl.
//
// LLVM 15 does not recognise the portable pair-sum as vpmaddwd (it emits vpmulld and shuffles,
// ~5x slower), so on an AVX2 target clang's builtin is used directly, unless the kernel config
// switches it off (gemm.opencl.int8_pmaddwd -> GEMM_OPENCL_INT8_PMADDWD). The portable form is
// the fallback everywhere else and gives bit-identical results.
#ifndef FPGAOPS_PAIR_DOT_H
#define FPGAOPS_PAIR_DOT_H

#if defined(__clang__) && defined(__has_builtin)
#if __has_builtin(__builtin_ia32_pmaddwd256)
#define HAVE_PMADDWD256 1
#endif
#endif

// PAIR_DOT8_BUILTIN says which form this build took (1: the builtin, 0: portable); tests read it
// back (tests/ops/test_pair_dot.py) to check both forms against the reference on any machine and
// to say when this device cannot compile the builtin.
#if (!defined(GEMM_OPENCL_INT8_PMADDWD) || GEMM_OPENCL_INT8_PMADDWD) && defined(__AVX2__) && defined(HAVE_PMADDWD256)
#define PAIR_DOT8_BUILTIN 1
#define PAIR_DOT8(a, b) as_int8(__builtin_ia32_pmaddwd256((a), (b)))
#else
#define PAIR_DOT8_BUILTIN 0
// (only defined when used: its int16 temporaries trip an x86 ABI warning on AVX2 builds)
#define PAIR_DOT8(a, b) pair_dot8_portable((a), (b))
inline int8 pair_dot8_portable(short16 a, short16 b) {
    const int16 prod = convert_int16(a) * convert_int16(b);
    return prod.even + prod.odd;
}
#endif

// QUAD_DOT8(acc, u, s): int8 x 3 -> int8, lane l = acc[l] + sum over j < 4 of
// u8(byte 4l+j of u) * s8(byte 4l+j of s), wrapping modulo 2^32: x86's vpdpbusd (32 MACs per
// 256-bit instruction, twice vpmaddwd, with no widening of the operands). Only with
// -DFPGAOPS_VNNI=512 (AVX512-VNNI) or 256 (AVX-VNNI), which the launcher passes only when the host
// CPU has it and the device is PoCL on x86 (backends/opencl/isa.py). Inline assembly, not
// clang's __builtin_ia32_vpdpbusd256: PoCL compiles for an LLVM CPU without VNNI (skylake-avx512
// on Zen 4), where the builtin is refused, and a target("avx512vnni") attribute on the kernel
// fails in PoCL's work-group wrapper (LLVM "Cannot select X86ISD::VPDPBUSD"). The "v" constraint
// lets AVX-512 use ymm16-31. Caution: PoCL's LLVM drops an inline-asm instruction its target CPU
// lacks *silently* (the {vex} form below vanishes on skylake-avx512), so isa.py runs a probe of
// QUAD_DOT8 against NumPy before it lets any kernel use a form (isa.probe_vnni).
#if defined(FPGAOPS_VNNI) && FPGAOPS_VNNI == 512
inline int8 quad_dot8(int8 acc, int8 u, int8 s) {
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u), "v"(s));
    return acc;
}
#define QUAD_DOT8(acc, u, s) quad_dot8((acc), (u), (s))
#elif defined(FPGAOPS_VNNI) && FPGAOPS_VNNI == 256
inline int8 quad_dot8(int8 acc, int8 u, int8 s) {
    __asm__("{vex} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(u), "x"(s));
    return acc;
}
#define QUAD_DOT8(acc, u, s) quad_dot8((acc), (u), (s))
#elif defined(FPGAOPS_VNNI) && FPGAOPS_VNNI != 0
#error "FPGAOPS_VNNI must be 512 (AVX512-VNNI), 256 (AVX-VNNI) or 0"
#endif

#endif  // FPGAOPS_PAIR_DOT_H
