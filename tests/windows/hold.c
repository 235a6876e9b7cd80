// Holds a file open as a reader that does not share its deletion (a virus scanner, a backup
// agent), which makes Windows refuse to rename another file over it, until told to let go:
//   hold.exe FILE RELEASE OPENED
// creates OPENED once FILE is open, and closes FILE once RELEASE exists (or after a minute).
// Test-only, never shipped.
#include <windows.h>

int wmain(int argc, wchar_t **argv) {
    if (argc != 4) return 2;
    HANDLE held = CreateFileW(argv[1], GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                              FILE_ATTRIBUTE_NORMAL, NULL);
    if (held == INVALID_HANDLE_VALUE) return 1;
    HANDLE opened = CreateFileW(argv[3], GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
                                FILE_ATTRIBUTE_NORMAL, NULL);
    if (opened == INVALID_HANDLE_VALUE) return 1;
    CloseHandle(opened);
    for (int waited = 0; waited < 60000; waited += 10) {
        if (GetFileAttributesW(argv[2]) != INVALID_FILE_ATTRIBUTES) break;
        Sleep(10);
    }
    CloseHandle(held);
    return 0;
}
