#!/bin/sh
# Runs a command under qemu-x86_64 as an AMD EPYC Zen 3 (QEMU's EPYC-Milan model: AVX2 and FMA,
# no AVX-512, no VNNI), so ONNX Runtime picks the kernels it picks on such a machine. The features
# QEMU's TCG cannot emulate (none of them changes a kernel choice) are switched off so that QEMU
# does not warn about each of them.
exec qemu-x86_64 -cpu EPYC-Milan,-pcid,-invpcid,-rdseed,-sha-ni,-rdpid,-fsrm,-fxsr-opt,-misalignsse,-3dnowprefetch,-osvw,-topoext,-perfctr-core,-clzero,-xsaveerptr,-wbnoinvd,-ibpb,-ibrs,-amd-stibp,-amd-ssbd,-nrip-save,-xsavec,-xsaves "$@"
