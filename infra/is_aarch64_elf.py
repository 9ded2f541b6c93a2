"""Exit 0 when every file named is an aarch64 ELF executable (what Lambda arm64 runs)."""
import sys

EM_AARCH64 = 183


def is_aarch64_elf(path: str) -> bool:
    with open(path, "rb") as binary:
        header = binary.read(20)
    return header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == EM_AARCH64


if __name__ == "__main__":
    failed = False
    for path in sys.argv[1:]:
        try:
            ok = is_aarch64_elf(path)
        except OSError as error:
            print(f"{path}: {error}", file=sys.stderr)
            ok = False
        print(f"{path}: {'aarch64 ELF' if ok else 'NOT an aarch64 ELF'}")
        failed |= not ok
    sys.exit(1 if failed else 0)
