from __future__ import annotations

from aesthetic_protocols.launch import main

if __name__ == "__main__":
    main()
