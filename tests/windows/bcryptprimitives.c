/*
 * Test-only stand-in for Windows' bcryptprimitives.dll, which wine 8.0 lacks and Rust's
 * standard library imports (ProcessPrng, Windows 10+). It never ships: scripts/windows.sh
 * builds it into the wine prefix the tests use. ProcessPrng fills the buffer from
 * RtlGenRandom (SystemFunction036), which wine does provide.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
