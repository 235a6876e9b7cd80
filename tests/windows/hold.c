// Holds a file open as a reader that does not share delete (a virus scanner, a backup agent):
// Windows refuses to rename another file over it meanwhile. Test-only.
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>

int wmain(int argc, wchar_t **argv) {
    if (argc != 4) return 2;
    HANDLE h = CreateFileW(argv[1], GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                           FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) return 1;
    HANDLE marker = CreateFileW(argv[3], GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
                                FILE_ATTRIBUTE_NORMAL, NULL);
    if (marker != INVALID_HANDLE_VALUE) CloseHandle(marker);
    Sleep((DWORD)_wtoi(argv[2]));
    CloseHandle(h);
    return 0;
}
