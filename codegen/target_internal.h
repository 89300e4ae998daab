/* Inside codegen/ only: LLVM's target machine behind a qcc_target (the driver never sees LLVM). */
#ifndef QCC_CODEGEN_TARGET_INTERNAL_H
#define QCC_CODEGEN_TARGET_INTERNAL_H

#include <llvm-c/TargetMachine.h>

#include "codegen/targets.h"

LLVMTargetMachineRef qcc_target_machine(const qcc_target *t);

#endif
