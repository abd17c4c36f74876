// Unaligned vector stores of char and short vectors to __global memory:
//   VSTORE4_U(T, v, p)   *p .. p[3]  = v   (v a T4)
//   VSTORE8_U(T, v, p)   *p .. p[7]  = v   (T the element type: char, uchar, short, int, uint
//                                            or float; v a T8)
//   VSTORE16_U(T, v, p)  *p .. p[15] = v   (v a T16)
// Why not vstore8/vstore16: PoCL 3.1 compiles those for char and short vectors to one scalar store
// per lane (for a char8: a vmovd, a vpextrd and eight byte moves with their shifts, ~17
// instructions, more than the whole vector int8 epilogue that computed the value), while a store
// through a vector type of alignment 1 is one unaligned vector store (and a char8 narrowed from an
// int8 becomes a single vpmovdb to memory). vstoreN of int, uint and float vectors were vector
// stores already (a 16-lane one in three pieces). benchmarks/pocl_stores.py counts the stores of
// both forms in PoCL's cached binaries; the int8 networks' gain is in docs/int8.md.
// A typedef may lower a type's alignment in clang (and GCC); without clang the plain vstoreN is used.
#ifndef FPGAOPS_VSTORE_U_H
#define FPGAOPS_VSTORE_U_H
#if defined(__clang__)
#define FPGAOPS_VSTORE_U_TYPES(T)                          \
    typedef T##4 __attribute__((aligned(1))) T##4_u;       \
    typedef T##8 __attribute__((aligned(1))) T##8_u;       \
    typedef T##16 __attribute__((aligned(1))) T##16_u;
FPGAOPS_VSTORE_U_TYPES(char)
FPGAOPS_VSTORE_U_TYPES(uchar)
FPGAOPS_VSTORE_U_TYPES(short)
// (int, uint, float: for kernels generic over the element type; their vstoreN were fine already)
FPGAOPS_VSTORE_U_TYPES(int)
FPGAOPS_VSTORE_U_TYPES(uint)
FPGAOPS_VSTORE_U_TYPES(float)
#define VSTORE4_U(T, v, p) (*(__global T##4_u*)(p) = (v))
#define VSTORE8_U(T, v, p) (*(__global T##8_u*)(p) = (v))
#define VSTORE16_U(T, v, p) (*(__global T##16_u*)(p) = (v))
#else
#define VSTORE4_U(T, v, p) vstore4((v), 0, (p))
#define VSTORE8_U(T, v, p) vstore8((v), 0, (p))
#define VSTORE16_U(T, v, p) vstore16((v), 0, (p))
#endif
#endif  // FPGAOPS_VSTORE_U_H
