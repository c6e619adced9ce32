//go:build amd64 && !purego

#include "textflag.h"

// func cpuid(eax, ecx uint32) (a, b, c, d uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eax+0(FP), AX
	MOVL ecx+4(FP), CX
	CPUID
	MOVL AX, a+8(FP)
	MOVL BX, b+12(FP)
	MOVL CX, c+16(FP)
	MOVL DX, d+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	BYTE $0x0f; BYTE $0x01; BYTE $0xd0 // XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// The GEMM kernels keep a rows×cols block of C in registers (Y0-Y7),
// load one row of B per step and broadcast one A element per row, so each
// C element is one chain of fused multiply-adds in order l = 0..k-1,
// whatever the block's row count. k > 0.

// func sgemm4x16(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, acc bool)
TEXT ·sgemm4x16(SB), NOSPLIT, $0-65
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R8
	SHLQ $2, R8
	MOVQ acs+24(FP), R9
	SHLQ $2, R9
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R10
	SHLQ $2, R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R11
	SHLQ $2, R11
	LEAQ (R8)(R8*2), R12 // 3 rows of A
	LEAQ (R11)(R11*2), R13 // 3 rows of C
	MOVBQZX acc+64(FP), AX
	TESTQ AX, AX
	JZ sgemm4x16_zero
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	VMOVUPS (DX)(R11*1), Y2
	VMOVUPS 32(DX)(R11*1), Y3
	VMOVUPS (DX)(R11*2), Y4
	VMOVUPS 32(DX)(R11*2), Y5
	VMOVUPS (DX)(R13*1), Y6
	VMOVUPS 32(DX)(R13*1), Y7
	JMP sgemm4x16_loop
sgemm4x16_zero:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
sgemm4x16_loop:
	VMOVUPS (DI), Y8
	VMOVUPS 32(DI), Y9
	VBROADCASTSS (SI), Y12
	VFMADD231PS Y8, Y12, Y0
	VFMADD231PS Y9, Y12, Y1
	VBROADCASTSS (SI)(R8*1), Y13
	VFMADD231PS Y8, Y13, Y2
	VFMADD231PS Y9, Y13, Y3
	VBROADCASTSS (SI)(R8*2), Y14
	VFMADD231PS Y8, Y14, Y4
	VFMADD231PS Y9, Y14, Y5
	VBROADCASTSS (SI)(R12*1), Y15
	VFMADD231PS Y8, Y15, Y6
	VFMADD231PS Y9, Y15, Y7
	ADDQ R9, SI
	ADDQ R10, DI
	DECQ CX
	JNZ sgemm4x16_loop
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, (DX)(R11*1)
	VMOVUPS Y3, 32(DX)(R11*1)
	VMOVUPS Y4, (DX)(R11*2)
	VMOVUPS Y5, 32(DX)(R11*2)
	VMOVUPS Y6, (DX)(R13*1)
	VMOVUPS Y7, 32(DX)(R13*1)
	VZEROUPPER
	RET

// func sgemm1x16(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, acc bool)
TEXT ·sgemm1x16(SB), NOSPLIT, $0-65
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R8
	SHLQ $2, R8
	MOVQ acs+24(FP), R9
	SHLQ $2, R9
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R10
	SHLQ $2, R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R11
	SHLQ $2, R11
	LEAQ (R8)(R8*2), R12 // 3 rows of A
	LEAQ (R11)(R11*2), R13 // 3 rows of C
	MOVBQZX acc+64(FP), AX
	TESTQ AX, AX
	JZ sgemm1x16_zero
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	JMP sgemm1x16_loop
sgemm1x16_zero:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
sgemm1x16_loop:
	VMOVUPS (DI), Y8
	VMOVUPS 32(DI), Y9
	VBROADCASTSS (SI), Y12
	VFMADD231PS Y8, Y12, Y0
	VFMADD231PS Y9, Y12, Y1
	ADDQ R9, SI
	ADDQ R10, DI
	DECQ CX
	JNZ sgemm1x16_loop
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VZEROUPPER
	RET

// func sgemm4x8(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, acc bool)
TEXT ·sgemm4x8(SB), NOSPLIT, $0-65
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R8
	SHLQ $2, R8
	MOVQ acs+24(FP), R9
	SHLQ $2, R9
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R10
	SHLQ $2, R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R11
	SHLQ $2, R11
	LEAQ (R8)(R8*2), R12 // 3 rows of A
	LEAQ (R11)(R11*2), R13 // 3 rows of C
	MOVBQZX acc+64(FP), AX
	TESTQ AX, AX
	JZ sgemm4x8_zero
	VMOVUPS (DX), Y0
	VMOVUPS (DX)(R11*1), Y1
	VMOVUPS (DX)(R11*2), Y2
	VMOVUPS (DX)(R13*1), Y3
	JMP sgemm4x8_loop
sgemm4x8_zero:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
sgemm4x8_loop:
	VMOVUPS (DI), Y8
	VBROADCASTSS (SI), Y12
	VFMADD231PS Y8, Y12, Y0
	VBROADCASTSS (SI)(R8*1), Y13
	VFMADD231PS Y8, Y13, Y1
	VBROADCASTSS (SI)(R8*2), Y14
	VFMADD231PS Y8, Y14, Y2
	VBROADCASTSS (SI)(R12*1), Y15
	VFMADD231PS Y8, Y15, Y3
	ADDQ R9, SI
	ADDQ R10, DI
	DECQ CX
	JNZ sgemm4x8_loop
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, (DX)(R11*1)
	VMOVUPS Y2, (DX)(R11*2)
	VMOVUPS Y3, (DX)(R13*1)
	VZEROUPPER
	RET

// func sgemm1x8(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, acc bool)
TEXT ·sgemm1x8(SB), NOSPLIT, $0-65
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R8
	SHLQ $2, R8
	MOVQ acs+24(FP), R9
	SHLQ $2, R9
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R10
	SHLQ $2, R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R11
	SHLQ $2, R11
	LEAQ (R8)(R8*2), R12 // 3 rows of A
	LEAQ (R11)(R11*2), R13 // 3 rows of C
	MOVBQZX acc+64(FP), AX
	TESTQ AX, AX
	JZ sgemm1x8_zero
	VMOVUPS (DX), Y0
	JMP sgemm1x8_loop
sgemm1x8_zero:
	VXORPS Y0, Y0, Y0
sgemm1x8_loop:
	VMOVUPS (DI), Y8
	VBROADCASTSS (SI), Y12
	VFMADD231PS Y8, Y12, Y0
	ADDQ R9, SI
	ADDQ R10, DI
	DECQ CX
	JNZ sgemm1x8_loop
	VMOVUPS Y0, (DX)
	VZEROUPPER
	RET

// The AVX-512 kernels: the same scheme on 64 columns (four ZMM registers
// per row, accumulators Z0-Z15), so each C element is the same chain of
// fused multiply-adds as in the AVX2 kernels, bit for bit.

// func sgemm4x64z(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, acc bool)
TEXT ·sgemm4x64z(SB), NOSPLIT, $0-65
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R8
	SHLQ $2, R8
	MOVQ acs+24(FP), R9
	SHLQ $2, R9
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R10
	SHLQ $2, R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R11
	SHLQ $2, R11
	LEAQ (R8)(R8*2), R12
	LEAQ (R11)(R11*2), R13
	MOVBQZX acc+64(FP), AX
	TESTQ AX, AX
	JZ sgemm4x64z_zero
	VMOVUPS (DX), Z0
	VMOVUPS 64(DX), Z1
	VMOVUPS 128(DX), Z2
	VMOVUPS 192(DX), Z3
	VMOVUPS (DX)(R11*1), Z4
	VMOVUPS 64(DX)(R11*1), Z5
	VMOVUPS 128(DX)(R11*1), Z6
	VMOVUPS 192(DX)(R11*1), Z7
	VMOVUPS (DX)(R11*2), Z8
	VMOVUPS 64(DX)(R11*2), Z9
	VMOVUPS 128(DX)(R11*2), Z10
	VMOVUPS 192(DX)(R11*2), Z11
	VMOVUPS (DX)(R13*1), Z12
	VMOVUPS 64(DX)(R13*1), Z13
	VMOVUPS 128(DX)(R13*1), Z14
	VMOVUPS 192(DX)(R13*1), Z15
	JMP sgemm4x64z_loop
sgemm4x64z_zero:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
sgemm4x64z_loop:
	VMOVUPS (DI), Z16
	VMOVUPS 64(DI), Z17
	VMOVUPS 128(DI), Z18
	VMOVUPS 192(DI), Z19
	VBROADCASTSS (SI), Z20
	VFMADD231PS Z16, Z20, Z0
	VFMADD231PS Z17, Z20, Z1
	VFMADD231PS Z18, Z20, Z2
	VFMADD231PS Z19, Z20, Z3
	VBROADCASTSS (SI)(R8*1), Z21
	VFMADD231PS Z16, Z21, Z4
	VFMADD231PS Z17, Z21, Z5
	VFMADD231PS Z18, Z21, Z6
	VFMADD231PS Z19, Z21, Z7
	VBROADCASTSS (SI)(R8*2), Z22
	VFMADD231PS Z16, Z22, Z8
	VFMADD231PS Z17, Z22, Z9
	VFMADD231PS Z18, Z22, Z10
	VFMADD231PS Z19, Z22, Z11
	VBROADCASTSS (SI)(R12*1), Z23
	VFMADD231PS Z16, Z23, Z12
	VFMADD231PS Z17, Z23, Z13
	VFMADD231PS Z18, Z23, Z14
	VFMADD231PS Z19, Z23, Z15
	ADDQ R9, SI
	ADDQ R10, DI
	DECQ CX
	JNZ sgemm4x64z_loop
	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	VMOVUPS Z2, 128(DX)
	VMOVUPS Z3, 192(DX)
	VMOVUPS Z4, (DX)(R11*1)
	VMOVUPS Z5, 64(DX)(R11*1)
	VMOVUPS Z6, 128(DX)(R11*1)
	VMOVUPS Z7, 192(DX)(R11*1)
	VMOVUPS Z8, (DX)(R11*2)
	VMOVUPS Z9, 64(DX)(R11*2)
	VMOVUPS Z10, 128(DX)(R11*2)
	VMOVUPS Z11, 192(DX)(R11*2)
	VMOVUPS Z12, (DX)(R13*1)
	VMOVUPS Z13, 64(DX)(R13*1)
	VMOVUPS Z14, 128(DX)(R13*1)
	VMOVUPS Z15, 192(DX)(R13*1)
	VZEROUPPER
	RET

// func sgemm1x64z(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, acc bool)
TEXT ·sgemm1x64z(SB), NOSPLIT, $0-65
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R8
	SHLQ $2, R8
	MOVQ acs+24(FP), R9
	SHLQ $2, R9
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R10
	SHLQ $2, R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R11
	SHLQ $2, R11
	LEAQ (R8)(R8*2), R12
	LEAQ (R11)(R11*2), R13
	MOVBQZX acc+64(FP), AX
	TESTQ AX, AX
	JZ sgemm1x64z_zero
	VMOVUPS (DX), Z0
	VMOVUPS 64(DX), Z1
	VMOVUPS 128(DX), Z2
	VMOVUPS 192(DX), Z3
	JMP sgemm1x64z_loop
sgemm1x64z_zero:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
sgemm1x64z_loop:
	VMOVUPS (DI), Z16
	VMOVUPS 64(DI), Z17
	VMOVUPS 128(DI), Z18
	VMOVUPS 192(DI), Z19
	VBROADCASTSS (SI), Z20
	VFMADD231PS Z16, Z20, Z0
	VFMADD231PS Z17, Z20, Z1
	VFMADD231PS Z18, Z20, Z2
	VFMADD231PS Z19, Z20, Z3
	ADDQ R9, SI
	ADDQ R10, DI
	DECQ CX
	JNZ sgemm1x64z_loop
	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	VMOVUPS Z2, 128(DX)
	VMOVUPS Z3, 192(DX)
	VZEROUPPER
	RET

// func tanhAVX2(x *float32, n int)
//
// tanh32's formula, 8 lanes at a time: with w = 2·min(|x|, 10),
// kk = round(w/ln2), r = kk·ln2 - w, e = 2^-kk·(1+expm1(r)) - 1 and
// tanh|x| = e/(-2-e); the sign of x is put back last. VMINPS keeps a NaN
// x (its second source) so NaN propagates.
TEXT ·tanhAVX2(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	SHRQ $3, CX
	JZ tanh_done
	VMOVUPS tanhc<>+416(SB), Y15
tanh_loop:
	VMOVUPS (DI), Y0
	VANDPS tanhc<>+0(SB), Y0, Y1
	VXORPS Y1, Y0, Y2
	VMINPS Y2, Y15, Y2
	VADDPS Y2, Y2, Y2
	VMULPS tanhc<>+32(SB), Y2, Y3
	VROUNDPS $0, Y3, Y3
	VMOVAPS Y2, Y4
	VFMSUB231PS tanhc<>+64(SB), Y3, Y4
	VFMADD231PS tanhc<>+96(SB), Y3, Y4
	VMOVUPS tanhc<>+128(SB), Y5
	VFMADD213PS tanhc<>+160(SB), Y4, Y5
	VFMADD213PS tanhc<>+192(SB), Y4, Y5
	VFMADD213PS tanhc<>+224(SB), Y4, Y5
	VFMADD213PS tanhc<>+256(SB), Y4, Y5
	VFMADD213PS tanhc<>+288(SB), Y4, Y5
	VMULPS Y4, Y4, Y6
	VFMADD213PS Y4, Y6, Y5
	VCVTPS2DQ Y3, Y3
	VMOVUPS tanhc<>+320(SB), Y6
	VPSUBD Y3, Y6, Y6
	VPSLLD $23, Y6, Y6
	VSUBPS tanhc<>+352(SB), Y6, Y7
	VFMADD231PS Y5, Y6, Y7
	VMOVUPS tanhc<>+384(SB), Y8
	VSUBPS Y7, Y8, Y8
	VDIVPS Y8, Y7, Y7
	VORPS Y1, Y7, Y7
	VMOVUPS Y7, (DI)
	ADDQ $32, DI
	DECQ CX
	JNZ tanh_loop
	VZEROUPPER
tanh_done:
	RET

// func tanhGradAVX2(dz, grad, h *float32, n int)
//
// dz = grad·(1 - h·h), 8 lanes at a time, each operation rounded on its own
// (no fused multiply-add) to match the Go loop.
TEXT ·tanhGradAVX2(SB), NOSPLIT, $0-32
	MOVQ dz+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ h+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ tgrad_done
	VMOVUPS tanhc<>+352(SB), Y3 // 1.0
tgrad_loop:
	VMOVUPS (DX), Y0
	VMULPS Y0, Y0, Y0
	VSUBPS Y0, Y3, Y1
	VMULPS (SI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, DX
	DECQ CX
	JNZ tgrad_loop
	VZEROUPPER
tgrad_done:
	RET

// Broadcast constants of tanhAVX2, one 32-byte row each.
DATA tanhc<>+0(SB)/8, $0x8000000080000000 // sign
DATA tanhc<>+8(SB)/8, $0x8000000080000000
DATA tanhc<>+16(SB)/8, $0x8000000080000000
DATA tanhc<>+24(SB)/8, $0x8000000080000000
DATA tanhc<>+32(SB)/8, $0x3fb8aa3b3fb8aa3b // invln2
DATA tanhc<>+40(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA tanhc<>+48(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA tanhc<>+56(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA tanhc<>+64(SB)/8, $0x3f3172003f317200 // ln2hi
DATA tanhc<>+72(SB)/8, $0x3f3172003f317200
DATA tanhc<>+80(SB)/8, $0x3f3172003f317200
DATA tanhc<>+88(SB)/8, $0x3f3172003f317200
DATA tanhc<>+96(SB)/8, $0x35bfbe8e35bfbe8e // ln2lo
DATA tanhc<>+104(SB)/8, $0x35bfbe8e35bfbe8e
DATA tanhc<>+112(SB)/8, $0x35bfbe8e35bfbe8e
DATA tanhc<>+120(SB)/8, $0x35bfbe8e35bfbe8e
DATA tanhc<>+128(SB)/8, $0x39500d0139500d01 // 1/5040
DATA tanhc<>+136(SB)/8, $0x39500d0139500d01
DATA tanhc<>+144(SB)/8, $0x39500d0139500d01
DATA tanhc<>+152(SB)/8, $0x39500d0139500d01
DATA tanhc<>+160(SB)/8, $0x3ab60b613ab60b61 // 1/720
DATA tanhc<>+168(SB)/8, $0x3ab60b613ab60b61
DATA tanhc<>+176(SB)/8, $0x3ab60b613ab60b61
DATA tanhc<>+184(SB)/8, $0x3ab60b613ab60b61
DATA tanhc<>+192(SB)/8, $0x3c0888893c088889 // 1/120
DATA tanhc<>+200(SB)/8, $0x3c0888893c088889
DATA tanhc<>+208(SB)/8, $0x3c0888893c088889
DATA tanhc<>+216(SB)/8, $0x3c0888893c088889
DATA tanhc<>+224(SB)/8, $0x3d2aaaab3d2aaaab // 1/24
DATA tanhc<>+232(SB)/8, $0x3d2aaaab3d2aaaab
DATA tanhc<>+240(SB)/8, $0x3d2aaaab3d2aaaab
DATA tanhc<>+248(SB)/8, $0x3d2aaaab3d2aaaab
DATA tanhc<>+256(SB)/8, $0x3e2aaaab3e2aaaab // 1/6
DATA tanhc<>+264(SB)/8, $0x3e2aaaab3e2aaaab
DATA tanhc<>+272(SB)/8, $0x3e2aaaab3e2aaaab
DATA tanhc<>+280(SB)/8, $0x3e2aaaab3e2aaaab
DATA tanhc<>+288(SB)/8, $0x3f0000003f000000 // 1/2
DATA tanhc<>+296(SB)/8, $0x3f0000003f000000
DATA tanhc<>+304(SB)/8, $0x3f0000003f000000
DATA tanhc<>+312(SB)/8, $0x3f0000003f000000
DATA tanhc<>+320(SB)/8, $0x0000007f0000007f // 127
DATA tanhc<>+328(SB)/8, $0x0000007f0000007f
DATA tanhc<>+336(SB)/8, $0x0000007f0000007f
DATA tanhc<>+344(SB)/8, $0x0000007f0000007f
DATA tanhc<>+352(SB)/8, $0x3f8000003f800000 // 1
DATA tanhc<>+360(SB)/8, $0x3f8000003f800000
DATA tanhc<>+368(SB)/8, $0x3f8000003f800000
DATA tanhc<>+376(SB)/8, $0x3f8000003f800000
DATA tanhc<>+384(SB)/8, $0xc0000000c0000000 // -2
DATA tanhc<>+392(SB)/8, $0xc0000000c0000000
DATA tanhc<>+400(SB)/8, $0xc0000000c0000000
DATA tanhc<>+408(SB)/8, $0xc0000000c0000000
DATA tanhc<>+416(SB)/8, $0x4120000041200000 // clip
DATA tanhc<>+424(SB)/8, $0x4120000041200000
DATA tanhc<>+432(SB)/8, $0x4120000041200000
DATA tanhc<>+440(SB)/8, $0x4120000041200000
GLOBL tanhc<>(SB), RODATA|NOPTR, $448
