from __future__ import annotations

from aesthetic_protocols.cli import main

if __name__ == "__main__":
    main()
