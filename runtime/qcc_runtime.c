#include "qcc_runtime.h"

uint32_t qcc_runtime_abi_version(void) { return QCC_RUNTIME_ABI_VERSION; }
